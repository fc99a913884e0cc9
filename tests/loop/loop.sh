#!/usr/bin/env bash
# The closed loop for real: a source tree on a loop-device ext4 grows while the loop
# runs; the shadow re-scales, the forecast updates, one alert fires (and does not
# flap), and the example hook grows the ext4 filesystem. Plus config and hook checks.
# Usage: loop.sh CASE   (helpers: ../mount/lib.sh)
source "$(dirname "$0")/../mount/lib.sh"
HOOKS=$(cd "$(dirname "$0")/../../scripts/hooks" && pwd)
SCHEMA_CHECK=$(dirname "$0")/check_forecast.py
LOOPDEV=""
SRC_MNT=""

cleanup_loopdev() {
  [ -n "$SRC_MNT" ] && { umount "$SRC_MNT" 2>/dev/null || umount -l "$SRC_MNT" 2>/dev/null || true; }
  [ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV" 2>/dev/null || true
}

json_field() {  # json_field FILE PYTHON-EXPRESSION-ON-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

case_grow_alert_hook() {
  [ "$(id -u)" = 0 ] || skip "needs root (loop devices, mount)"
  command -v losetup >/dev/null && command -v resize2fs >/dev/null || skip "no losetup/resize2fs"
  [ -x "$SFSG_BIN/sfsg-scan" ] || skip "sfsg-scan not built"
  trap 'rc=$?; set +e; cleanup_loopdev; (exit $rc); cleanup' EXIT
  local img=$T/source.img mnt state
  truncate -s 32M "$img"
  mkfs.ext4 -q "$img"
  LOOPDEV=$(losetup -f --show "$img") || skip "no free loop device"
  SRC_MNT=$T/source
  mkdir -p "$SRC_MNT"
  mount "$LOOPDEV" "$SRC_MNT"
  mkdir -p "$SRC_MNT/data/a" "$SRC_MNT/data/b"
  for i in $(seq 1 40); do head -c $((i * 1000)) /dev/urandom > "$SRC_MNT/data/a/f$i.bin"; done
  "$SFSG_BIN/sfsg-scan" --quiet "$SRC_MNT/data" -o "$T/profile.json"
  mnt=$(new_mountpoint shadow)
  state=$T/state
  mount_shadow "$mnt" "$T/profile.json" --watch "$SRC_MNT/data" --interval 0.3s \
    --horizon 1d --buffer 20% --slo p99=1s --alert-days-to-full 7 --cooldown 1h \
    --ladder 1,2 --step 0.2s --warmup 0.1s --state-dir "$state" \
    --on-alert "$HOOKS/log-alert $T/alerts.log" \
    --on-scale "$HOOKS/grow-loop-ext4 $img --offline-fallback --max 64M" --scale-mode execute
  local entries0 size0
  entries0=$(json_field "$mnt/.sfsg/status" "d['entries']")
  size0=$(stat -c %s "$img")
  # The source grows, 256 KiB every 0.4 s in new directories, until the scaling hook
  # has run (or 25 MiB were written: the test then fails below).
  local round=0
  until grep -qs '"hook":"on-scale"' "$state/alerts.jsonl" || [ $round -ge 100 ]; do
    round=$((round + 1))
    mkdir -p "$SRC_MNT/data/g$round" 2>/dev/null || true
    head -c 131072 /dev/urandom 2>/dev/null > "$SRC_MNT/data/g$round/x1.bin" || true
    head -c 131072 /dev/urandom 2>/dev/null > "$SRC_MNT/data/g$round/x2.bin" || true
    sleep 0.4
  done
  wait_until 60 test -s "$T/alerts.log" || fail "no alert hook ran (state: $(ls "$state"))"
  wait_until 60 grep -q '"hook":"on-scale"' "$state/alerts.jsonl" || fail "on-scale hook never ran"
  wait_until 30 grep -q '"loop"' "$mnt/.sfsg/forecast" || fail "no forecast published"
  python3 "$SCHEMA_CHECK" "$mnt/.sfsg/forecast" || fail "/.sfsg/forecast breaks its schema"
  local entries1 size1 firings rounds
  entries1=$(json_field "$mnt/.sfsg/status" "d['entries']")
  [ "$entries1" -gt "$entries0" ] || fail "shadow did not grow ($entries0 -> $entries1 entries)"
  size1=$(stat -c %s "$img")
  [ "$size1" -gt "$size0" ] || fail "the hook did not grow $img ($size0 -> $size1): $(cat "$state/alerts.jsonl")"
  [ "$(blockdev --getsize64 "$LOOPDEV")" -eq "$size1" ] || fail "loop device size not updated"
  df -B1 --output=size "$SRC_MNT" | tail -n1 | awk -v s="$size0" '$1 > s * 0.9 { ok = 1 } END { exit !ok }' \
    || fail "the ext4 filesystem did not grow: $(df -B1 "$SRC_MNT" | tail -n1)"
  firings=$(grep -c '"name":"storage_days_to_full","state":"firing"\|"state":"firing".*"storage_days_to_full"' \
    "$state/alerts.jsonl" || true)
  firings=$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if (lambda e: e.get('name')=='storage_days_to_full' and e.get('state')=='firing')(json.loads(l))))" "$state/alerts.jsonl")
  [ "$firings" = 1 ] || fail "storage alert fired $firings times (want exactly 1: no flapping)"
  rounds=$(json_field "$mnt/.sfsg/forecast" "d['loop']['round']")
  note "shadow $entries0 -> $entries1 entries; $img $size0 -> $size1 bytes; $rounds rounds; 1 firing"
  python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$mnt/.sfsg/alerts" || fail "alerts not JSON"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['format']=='sfsg-curve'" \
    "$mnt/.sfsg/curve" || fail "/.sfsg/curve is not a curve"
  grep -q '^sfsg_forecast_' "$mnt/.sfsg/metrics" || fail "/.sfsg/metrics has no forecast gauges"
}

case_rescale_keeps_files() {
  # Files that exist before a re-scale keep their names and bytes after it.
  local mnt state
  mnt=$(new_mountpoint shadow)
  state=$T/state
  mkdir -p "$state"
  # A usage file whose files column grows fast: the loop re-scales upward.
  {
    echo "timestamp,used_bytes,files"
    local now
    now=$(date +%s)
    for i in $(seq 100 -1 0); do echo "$((now - i * 3600)),$((1000000000 + (100 - i) * 10000000)),$((100000 + (100 - i) * 2000))"; done
  } > "$T/usage.csv"
  mount_shadow "$mnt" --files 100000 --watch "$T/usage.csv" --interval 1h --rounds 1 \
    --no-stress --horizon 2d --state-dir "$state"
  wait_until 60 grep -q '"layers": 2' "$mnt/.sfsg/status" || fail "no re-scale: $(cat "$mnt/.sfsg/status")"
  # Same names and bytes as a shadow mounted without the loop.
  local plain
  plain=$(new_mountpoint plain)
  mount_shadow "$plain" --files 100000
  local sample
  sample=$(cd "$plain" && find . -path ./.sfsg -prune -o -type f -print | awk 'NR % 997 == 1 && n++ < 50')
  [ -n "$sample" ] || fail "no files to compare"
  (cd "$plain" && echo "$sample" | xargs sha256sum) > "$T/plain.sha"
  (cd "$mnt" && sha256sum -c --quiet "$T/plain.sha") || fail "files changed across the re-scale"
  local before after
  before=$(find "$plain" -path "$plain/.sfsg" -prune -o -print | wc -l)
  after=$(find "$mnt" -path "$mnt/.sfsg" -prune -o -print | wc -l)
  [ "$after" -gt "$before" ] || fail "re-scaled shadow lists $after entries, plain $before"
  note "$before entries before, $after after the re-scale; 50 sampled files identical"
}

case_config_errors() {
  local mnt
  mnt=$(new_mountpoint shadow)
  printf 'seed = 42\nwatch = /tmp\nhorizon = 30d\non-alert = /bin/true\n' > "$T/good.conf"
  "$SFSG_MOUNT" --config "$T/good.conf" --print-config > "$T/effective" || fail "print-config failed"
  grep -q '^seed = 42$' "$T/effective" || fail "print-config lacks seed = 42"
  grep -q '^horizon = 30d$' "$T/effective" || fail "print-config lacks horizon"
  # Its output is itself a valid config file.
  "$SFSG_MOUNT" --config "$T/effective" --print-config > /dev/null || fail "print-config output rejected"
  printf 'seed = 42\nbogus-key = 1\n' > "$T/bad.conf"
  local rc=0 err
  err=$("$SFSG_MOUNT" --config "$T/bad.conf" "$mnt" 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "unknown config key: exit $rc, want 2"
  echo "$err" | grep -q "bad.conf" || fail "error does not name the file: $err"
  echo "$err" | grep -q "bogus-key" || fail "error does not name the key: $err"
  for bad in "--horizon=soon" "--buffer=150%" "--slo=p77=1ms" "--scale-mode=yolo" "--ladder=0" \
             "--on-alert='unterminated"; do
    rc=0
    err=$(eval "\"$SFSG_MOUNT\" $bad \"$mnt\"" 2>&1) || rc=$?
    [ "$rc" = 2 ] || fail "$bad: exit $rc, want 2 ($err)"
    [ "$(echo "$err" | wc -l)" = 1 ] || fail "$bad: not one line: $err"
  done
  is_mounted "$mnt" && fail "a bad config mounted anyway"
  return 0
}

case_hook_is_argv() {
  # A hook gets its figures in the environment and its words verbatim: shell syntax in
  # the configured command is not interpreted.
  local mnt state
  mnt=$(new_mountpoint shadow)
  state=$T/state
  {
    echo "timestamp,used_bytes,files"
    local now
    now=$(date +%s)
    for i in $(seq 50 -1 0); do echo "$((now - i * 60)),$((900000 + (50 - i) * 2000)),$((1000 + (50 - i)))"; done
  } > "$T/usage.csv"
  cat > "$T/hook" <<'HOOK'
#!/bin/sh
for a in "$@"; do printf '[%s]' "$a"; done > "$(dirname "$0")/args"
env | grep '^SFSG_' | sort > "$(dirname "$0")/env"
HOOK
  chmod +x "$T/hook"
  mount_shadow "$mnt" --files 1000 --watch "$T/usage.csv" --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-stress --no-adjust --state-dir "$state" \
    --on-alert "$T/hook 'a b' ; \$(touch $T/pwned) \`id\`"
  wait_until 60 test -s "$T/env" || fail "hook did not run: $(cat "$state/alerts.jsonl" 2>/dev/null)"
  [ ! -e "$T/pwned" ] || fail "shell syntax in the hook command was run"
  grep -q '^\[a b\]\[;\]\[\$(touch' "$T/args" || fail "argv not verbatim: $(cat "$T/args")"
  grep -q '^SFSG_ALERT=storage_days_to_full$' "$T/env" || fail "no SFSG_ALERT: $(cat "$T/env")"
  grep -q '^SFSG_RECOMMENDED_BYTES=[0-9]' "$T/env" || fail "no SFSG_RECOMMENDED_BYTES"
}

case_replay_publishes_curve() {
  # sfsg-mount --replay: the ladder runs on the mount itself and /.sfsg/curve shows it.
  local mnt
  mnt=$(new_mountpoint shadow)
  grep -q '"no-curve"' "$mnt/.sfsg/curve" 2>/dev/null && fail "not mounted yet but readable?"
  mount_shadow "$mnt" --files 5000 --replay --interval 1h --ladder 1,2 --step 0.3s --warmup 0.1s \
    --state-dir "$T/state"
  wait_until 60 grep -q '"sfsg-curve"' "$mnt/.sfsg/curve" || fail "no curve: $(cat "$mnt/.sfsg/curve")"
  python3 - "$mnt/.sfsg/curve" <<'PY' || fail "curve content"
import json, sys
c = json.load(open(sys.argv[1]))
steps = c["steps"]
assert [s["concurrency"] for s in steps] == [1, 2], steps
assert all(s["total"]["ops"] > 0 and s["total"]["errors"] == 0 for s in steps), steps
assert steps[0]["filesystem"]["pid"] > 0, "the mount's own process was not measured"
PY
  # No forecast without --watch: the loop only stresses.
  grep -q '"no-forecast"' "$mnt/.sfsg/forecast" || fail "a forecast appeared without --watch"
}

run_case "$@"
