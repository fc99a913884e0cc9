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

# mount_loop_ext4 SIZE: an ext4 image of SIZE on a loop device, mounted on $SRC_MNT
# ($T/source); cleanup_loopdev undoes it. Skips when no loop device is free.
mount_loop_ext4() {
  local img=$T/source.img
  truncate -s "$1" "$img"
  mkfs.ext4 -q "$img"
  LOOPDEV=$(losetup -f --show "$img") || skip "no free loop device"
  SRC_MNT=$T/source
  mkdir -p "$SRC_MNT"
  mount "$LOOPDEV" "$SRC_MNT"
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
  mount_loop_ext4 32M
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
    || fail "the ext4 filesystem did not grow: $(df -B1 "$SRC_MNT" | tail -n1); $(cat "$state/alerts.jsonl")"
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

case_passive_model() {
  # No --device, a watched tree on a real block device: once the metered diskstats allow
  # a fit, the forecaster times the shadow by a passive model of that device, /.sfsg/status
  # names it, and the plan compares demand and capacity in file operations/s.
  [ "$(id -u)" = 0 ] || skip "needs root (loop devices, mount)"
  command -v losetup >/dev/null || skip "no losetup"
  trap 'rc=$?; set +e; [ -n "${WRITER:-}" ] && kill "$WRITER" 2>/dev/null; cleanup_loopdev; (exit $rc); cleanup' EXIT
  local mnt state
  mount_loop_ext4 64M
  mkdir -p "$SRC_MNT/data"
  head -c 4M /dev/urandom > "$SRC_MNT/data/base.bin"
  # Device I/O in every interval (O_DIRECT: past the page cache), bounded in time.
  ( for i in $(seq 1 400); do
      dd if=/dev/urandom of="$SRC_MNT/data/w.bin" bs=64k count=8 oflag=direct conv=notrunc 2>/dev/null
      dd if="$SRC_MNT/data/base.bin" of=/dev/null bs=4k count=64 skip=$((i % 900)) iflag=direct 2>/dev/null
      sleep 0.1
    done ) &
  WRITER=$!
  mnt=$(new_mountpoint shadow)
  state=$T/state
  mount_shadow "$mnt" --files 2000 --watch "$SRC_MNT/data" --interval 0.3s --horizon 1d \
    --ladder 1,2 --step 0.2s --warmup 0.1s --state-dir "$state"
  wait_until 80 python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert (d.get('device') or {}).get('mode') == 'passive'" "$mnt/.sfsg/status" 2>/dev/null ||
    fail "no passive model in /.sfsg/status: $(cat "$mnt/.sfsg/status")"
  test -s "$state/device-passive.json" || fail "the passive model was not kept in the state directory"
  wait_until 60 python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert d['performance']['device']['model']['mode']=='passive'; \
assert d['performance']['device']['unit']['comparable']" "$mnt/.sfsg/forecast" 2>/dev/null ||
    fail "the plan does not rest on the passive model in one unit: $(head -c 3000 "$mnt/.sfsg/forecast")"
  python3 - "$mnt/.sfsg/forecast" <<'PY' || fail "passive plan content"
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["performance"]["device"]
assert "covers only the load observed" in dev["statement"], dev["statement"]
assert dev["model"]["covers"]["ops_per_s_max"] > 0, dev
unit = dev["unit"]
assert unit["demand"] == "file operations/s" and unit["device_requests_per_file_op"] > 0, unit
PY
  python3 "$SCHEMA_CHECK" "$mnt/.sfsg/forecast" || fail "/.sfsg/forecast breaks its schema"
}

case_probes_and_candidates() {
  # A device-timed shadow with a demand series: the plan has the candidate device
  # configurations at the horizon and the user's probe timed in the mount; the curve
  # has the filesystem's CPU apart from the replayer's (another process).
  local mnt state now i
  mnt=$(new_mountpoint shadow)
  state=$T/state
  write_model "$T/model.json" 500 2
  now=$(date +%s)
  {
    echo "timestamp,used_bytes,files,read_ops,write_ops,read_bytes,write_bytes"
    for i in $(seq 0 120); do
      echo "$((now - (120 - i) * 60)),$((900000 + i * 2000)),$((1000 + i)),$((i * 6000)),$((i * 3000)),$((i * 6000 * 4096)),$((i * 3000 * 8192))"
    done
  } >"$T/usage.csv"
  mount_shadow "$mnt" --files 500 --bytes 8M --device "$T/model.json" --watch "$T/usage.csv" \
    --interval 1h --horizon 1d --source-capacity 1G --ladder 1,2 --step 0.3s --warmup 0.1s \
    --state-dir "$state" \
    --probe "find . -type f" --probe-window 1h
  wait_until 90 grep -q '"probes"' "$mnt/.sfsg/forecast" ||
    fail "no plan with probes: $(head -c 2000 "$mnt/.sfsg/forecast")"
  python3 - "$mnt/.sfsg/forecast" "$mnt/.sfsg/curve" "$mnt/.sfsg/status" <<'PY' || fail "plan content"
import json, sys
d = json.load(open(sys.argv[1]))
probes = d["probes"]
assert len(probes) == 1, probes
p = probes[0]
assert p["command"] == "find . -type f" and p["exit_status"] == 0, p
assert p["duration_s"] > 0 and p["window_s"] == 3600 and p["fits_window"] is True, p
assert "window is 1 h" in p["statement"], p
c = d["device_candidates"]
names = [x["name"] for x in c["candidates"]]
assert names[0] == "today" and "parallelism x2" in names, c
assert c["load"]["requests_per_s"] > 0 and abs(c["load"]["read_fraction"] - 2 / 3) < 0.01, c["load"]
assert c["recommended"] is None or c["recommended"] in names, c
assert c["statement"], c
assert d["performance"]["device"]["unit"]["comparable"] is True, d["performance"]["device"]
assert d["performance"]["device"]["unit"]["mapping"] == "measured", d["performance"]["device"]
assert d["device_candidates"]["status"] == "evaluated", d["device_candidates"]
assert d["device_candidates"]["basis"]["model"]["name"] == "test 500us x2", d["device_candidates"]
curve = json.load(open(sys.argv[2]))
assert curve["device"]["model"] == "test 500us x2", curve.get("device")
assert curve["device"]["requests_per_file_op"] > 0, curve["device"]
for step in curve["steps"]:
    assert step["filesystem"]["pid"] > 0 and step["replayer"]["pid"] > 0, step
    assert step["filesystem"]["pid"] != step["replayer"]["pid"], "the ladder ran in the daemon"
status = json.load(open(sys.argv[3]))
assert status["device"]["mode"] == "manual" and "target" in status["device"], status["device"]
PY
  python3 "$SCHEMA_CHECK" "$mnt/.sfsg/forecast" || fail "/.sfsg/forecast breaks its schema"
  # Bad probe options: usage errors before mounting.
  local other rc=0
  other=$(new_mountpoint other)
  MOUNTS+=("$other")
  "$SFSG_MOUNT" --files 10 --probe "ls" "$other" 2>"$T/err" || rc=$?
  [ "$rc" = 2 ] && grep -q "needs --watch or --replay" "$T/err" ||
    fail "--probe alone: exit $rc $(cat "$T/err")"
  rc=0
  "$SFSG_MOUNT" --files 10 --replay --probe-window 1h "$other" 2>"$T/err" || rc=$?
  [ "$rc" = 2 ] && grep -q "needs --probe" "$T/err" ||
    fail "--probe-window alone: exit $rc $(cat "$T/err")"
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
  # A root listing the kernel keeps, when it comes before the re-scale: the re-scale must
  # drop it (the listing counted below would miss the new layer's names).
  ls -A "$mnt" >/dev/null
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
  # sfsg-replay rebuilds the re-scaled namespace (mounted_with + rescale_targets in the
  # status): the files an emitted fio job lists exist, and a ladder finds its files.
  if [ -x "$SFSG_BIN/sfsg-replay" ]; then
    "$SFSG_BIN/sfsg-replay" --target "$mnt" --emit-fio "$T/job.fio" --fio-files 40 2>/dev/null ||
      fail "emit-fio on the re-scaled shadow: exit $?"
    local missing=0 name
    for name in $(awk -F= '/^filename=/ { gsub(":", " ", $2); print $2 }' "$T/job.fio"); do
      [ -f "$mnt/$name" ] || missing=$((missing + 1))
    done
    [ "$missing" = 0 ] || fail "$missing files of the emitted job do not exist in the re-scaled shadow"
    "$SFSG_BIN/sfsg-replay" --target "$mnt" --ladder 1 --step 0.3s --warmup 0.1s -q \
      --out "$T/curve.json" >/dev/null || fail "a ladder on the re-scaled shadow: exit $?"
  fi
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
  grep -q 'runs only the load ladder' "$mnt/.sfsg/forecast" ||
    fail "/.sfsg/forecast does not say why: $(cat "$mnt/.sfsg/forecast")"
}

case_probes_without_watch() {
  # --replay without --watch: no plan, but the probes are timed on the device-timed shadow
  # as mounted and /.sfsg/forecast carries them, saying whose time it is.
  local mnt bucket='[{"size_bytes": 4096, "service": {"kind": "constant", "us": 300}}]'
  cat >"$T/model.json" <<EOF
{"format": "sfsg-device", "version": 1, "name": "probe disk", "servers": 1,
 "data": {"read": {"sequential": $bucket, "random": $bucket},
          "write": {"sequential": $bucket, "random": $bucket}}}
EOF
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" --files 300 --device "$T/model.json" --replay --interval 1h \
    --ladder 1 --step 0.2s --warmup 0.1s --state-dir "$T/state" --probe "find . -type f"
  wait_until 60 grep -q '"probes"' "$mnt/.sfsg/forecast" ||
    fail "no probes without --watch: $(head -c 2000 "$mnt/.sfsg/forecast")"
  python3 - "$mnt/.sfsg/forecast" <<'PY' || fail "probe content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "no-forecast" and "usage history" in d["reason"], d
p = d["probes"][0]
assert p["command"] == "find . -type f" and p["exit_status"] == 0 and p["duration_s"] > 0, p
assert p["at_horizon"] is False and "on the shadow as mounted" in p["statement"], p
assert "device model 'probe disk'" in p["statement"], p
assert p["basis"]["model"]["name"] == "probe disk", p["basis"]
PY
  python3 "$SCHEMA_CHECK" "$mnt/.sfsg/forecast" || fail "/.sfsg/forecast breaks its schema"
}

has_scratch() { compgen -G "$1/.sfsg-replay-*" >/dev/null; }

case_unmount_during_ladder() {
  # The ladder keeps files open in the mount for a whole step; the user's unmount still
  # works at once (not EBUSY), and the daemon then stops the ladder and exits. Another
  # shadow mounted before the ladder started is not kept alive by the ladder's view.
  local mnt other pid other_pid
  # The private view needs CAP_SYS_ADMIN (without it the ladder runs as before).
  unshare -m true 2>/dev/null || skip "cannot make a mount namespace (no CAP_SYS_ADMIN)"
  mnt=$(new_mountpoint shadow)
  other=$(new_mountpoint other)
  mount_shadow "$other" --files 100
  other_pid=$(daemon_pid "$other")
  mount_shadow "$mnt" --files 2000 --writes memory --replay --interval 1h --ladder 1 \
    --step 120s --warmup 0s --state-dir "$T/state"
  pid=$(daemon_pid "$mnt")
  wait_until 30 has_scratch "$mnt" || fail "the ladder did not start"
  sleep 0.5
  fusermount3 -u "$other" 2>"$T/err" || fail "the other shadow: unmount: $(cat "$T/err")"
  wait_until 10 pid_gone "$other_pid" || fail "the other shadow's daemon outlived its unmount"
  fusermount3 -u "$mnt" 2>"$T/err" || fail "unmount during the ladder: $(cat "$T/err")"
  wait_until 10 pid_gone "$pid" || fail "the daemon still runs 10 s after the unmount"
  not_mounted "$mnt" || fail "still mounted after the unmount"
}

# A usage history (timestamp,used_bytes,files) of N hourly rows ending now, growing.
write_usage() {  # FILE ROWS
  local now i
  now=$(date +%s)
  {
    echo "timestamp,used_bytes,files"
    for i in $(seq "$2" -1 0); do echo "$((now - i * 60)),$((900000 + ($2 - i) * 2000)),$((1000 + ($2 - i)))"; done
  } >"$1"
}

case_meter_appends_after_comments() {
  # The demo's usage.csv opens with '#' lines labelling its synthetic past: the loop's
  # meter appends real rows after them instead of refusing the file.
  local mnt state src now i rows0
  mnt=$(new_mountpoint shadow)
  state=$T/state
  src=$T/src
  mkdir -p "$state" "$src"
  echo data >"$src/file"
  now=$(date +%s)
  {
    echo "# SYNTHETIC history written by hand (not measured)"
    echo "# a second comment line"
    echo "timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes"
    for i in $(seq 48 -1 1); do echo "$((now - i * 3600)),$((i * 1000)),1000000,$((100 - i)),,,,"; done
  } >"$state/usage.csv"
  cp "$state/usage.csv" "$T/usage.before"
  rows0=$(wc -l <"$state/usage.csv")
  mount_shadow "$mnt" --files 1000 --watch "$src" --interval 1h --rounds 1 --no-stress \
    --no-adjust --state-dir "$state" --log-file "$T/mount.log"
  wait_until 60 grep -q '"loop"' "$mnt/.sfsg/forecast" || fail "no round finished: $(cat "$T/mount.log")"
  [ "$(wc -l <"$state/usage.csv")" -eq $((rows0 + 1)) ] ||
    fail "no metered row appended: $(tail -2 "$state/usage.csv"); log: $(grep -i header "$T/mount.log")"
  cmp -s <(head -n "$rows0" "$state/usage.csv") "$T/usage.before" || fail "the comments or the past changed"
  tail -1 "$state/usage.csv" | grep -q "^$(date +%s | cut -c1-6)[0-9]*\.[0-9]*,4096\?[0-9]*," ||
    tail -1 "$state/usage.csv" | grep -q '^[0-9.]*,[0-9]*,[0-9]*,1,' || fail "last row is not the metered tree: $(tail -1 "$state/usage.csv")"
  grep -q "different header" "$T/mount.log" && fail "the meter refused the file: $(cat "$T/mount.log")"
  return 0
}

case_inputs_checked_before_mount() {
  # --watch and hooks are checked before mounting: one line, exit 3 (missing, unreadable,
  # not a file) or 4 (a malformed series), no mount, no loop thread left behind.
  local mnt rc err
  mnt=$(new_mountpoint shadow)
  printf 'a,b\n1,2\n' >"$T/bad.csv"
  mkfifo "$T/fifo"
  write_usage "$T/usage.csv" 10
  for spec in "3|--watch $T/nonexistent" "4|--watch $T/bad.csv" "3|--watch $T/fifo" \
              "3|--watch $T/usage.csv --on-alert $T/nonexistent/hook" \
              "3|--watch $T/usage.csv --on-scale no-such-program-xyz --scale-mode execute"; do
    rc=0
    # shellcheck disable=SC2086
    err=$(timeout 30 "$SFSG_MOUNT" ${spec#*|} --rounds 1 "$mnt" 2>&1) || rc=$?
    [ "$rc" = "${spec%%|*}" ] || fail "${spec#*|}: exit $rc, want ${spec%%|*} ($err)"
    [ "$(echo "$err" | wc -l)" = 1 ] || fail "${spec#*|}: not one line: $err"
    if is_mounted "$mnt"; then
      fail "${spec#*|}: mounted anyway"
      fusermount3 -u "$mnt"
    fi
  done
  return 0
}

case_hook_relative_and_unstartable() {
  # Hooks run in the directory sfsg-mount was started from (the daemon itself runs in
  # /); a hook that cannot start leaves an entry with its error in alerts.jsonl.
  local mnt state
  mnt=$(new_mountpoint shadow)
  state=$T/state
  mkdir -p "$T/hooks"
  write_usage "$T/usage.csv" 50
  printf '#!/bin/sh\necho "$SFSG_ALERT $SFSG_ALERT_STATE" >>"$1"\n' >"$T/hooks/log"
  chmod +x "$T/hooks/log"
  # Executable (so the mount accepts it) but unstartable: its interpreter is missing.
  printf '#!/nonexistent/interpreter\n' >"$T/hooks/broken"
  chmod +x "$T/hooks/broken"
  cd "$T"
  mount_shadow "$mnt" --files 1000 --watch usage.csv --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-stress --no-adjust --state-dir state \
    --on-alert 'hooks/log alerts.log' --on-scale 'hooks/broken --grow' --scale-mode execute
  cd /
  wait_until 60 grep -qs '"hook":"on-scale"' "$state/alerts.jsonl" ||
    fail "no on-scale entry: $(cat "$state/alerts.jsonl" 2>/dev/null)"
  wait_until 10 test -s "$T/alerts.log" ||
    fail "the relative hook did not run: $(cat "$state/alerts.jsonl")"
  grep -qx 'storage_days_to_full firing' "$T/alerts.log" || fail "hook output: $(cat "$T/alerts.log")"
  python3 - "$state/alerts.jsonl" <<'PY' || fail "alerts.jsonl: $(cat "$state/alerts.jsonl")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
alert = [l for l in lines if l.get("hook") == "on-alert"]
assert alert and alert[0]["exit_status"] == 0, alert
scale = [l for l in lines if l.get("hook") == "on-scale"]
assert scale and "cannot run" in scale[0]["error"] and "exit_status" not in scale[0], scale
assert scale[0]["command"] == ["hooks/broken", "--grow"], scale
PY
}

case_background_log() {
  # In the background the log survives daemonizing: STATE/sfsg-mount.log with a state
  # directory, --log-file when given; /.sfsg/status names both. --replay alone makes no
  # state directory.
  local mnt state
  mnt=$(new_mountpoint shadow)
  state=$T/state
  write_usage "$T/usage.csv" 50
  # The default log level (mount_shadow passes --log-level warn).
  mount_info() { MOUNTS+=("$mnt"); "$SFSG_MOUNT" "$@" "$mnt" || fail "sfsg-mount $*: exit $?"; }
  mount_info --files 1000 --watch "$T/usage.csv" --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-stress --no-adjust --state-dir "$state" \
    --on-scale /bin/true
  wait_until 60 grep -qs 'not run: --scale-mode dry-run' "$state/sfsg-mount.log" ||
    fail "the dry run is not in the log: $(cat "$state/sfsg-mount.log" 2>/dev/null)"
  grep -q "sfsg-mount: 1.0k files" "$state/sfsg-mount.log" || fail "no mount line in the log"
  expect_eq "$(jq -r .state_dir "$mnt/.sfsg/status")" "$state" "status state_dir"
  expect_eq "$(jq -r .log "$mnt/.sfsg/status")" "$state/sfsg-mount.log" "status log"
  unmount_shadow "$mnt"
  # --log-file wins; relative to where sfsg-mount started.
  cd "$T"
  mount_info --files 1000 --log-file mount.log
  cd /
  expect_eq "$(jq -r .log "$mnt/.sfsg/status")" "$T/mount.log" "status log with --log-file"
  expect_eq "$(jq -r .state_dir "$mnt/.sfsg/status")" null "status state_dir without a loop"
  grep -q "sfsg-mount: 1.0k files" "$T/mount.log" || fail "--log-file has no mount line"
  unmount_shadow "$mnt"
  # --replay alone: no /tmp/sfsg-loop.* directory, the log goes to syslog.
  ls -d /tmp/sfsg-loop.* 2>/dev/null | sort >"$T/loops.before" || true
  mount_shadow "$mnt" --files 1000 --replay --interval 1h --ladder 1 --step 0.2s --warmup 0.1s
  wait_until 60 grep -q '"sfsg-curve"' "$mnt/.sfsg/curve" || fail "no curve"
  expect_eq "$(jq -r .state_dir "$mnt/.sfsg/status")" null "status state_dir with --replay alone"
  expect_eq "$(jq -r .log "$mnt/.sfsg/status")" syslog "status log in the background"
  local dir
  for dir in $(ls -d /tmp/sfsg-loop.* 2>/dev/null | sort | comm -13 "$T/loops.before" -); do
    [ -n "$(ls -A "$dir")" ] || fail "--replay alone left an empty $dir"
  done
  # A log file that cannot be opened: exit 3 before mounting, one line naming it.
  local other rc=0 err
  other=$(new_mountpoint other)
  echo "a file, not a directory" >"$T/plain-file"
  MOUNTS+=("$other")
  err=$("$SFSG_MOUNT" --files 1000 --log-file "$T/plain-file/x.log" "$other" 2>&1) || rc=$?
  [ "$rc" = 3 ] || fail "unopenable --log-file: exit $rc, want 3 ($err)"
  [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q "plain-file/x.log" ||
    fail "error does not name the file in one line: $err"
  is_mounted "$other" && fail "mounted despite the bad --log-file"
  return 0
}

case_alerts_before_loop() {
  # /.sfsg/alerts says nothing was evaluated yet, with the fields a round fills in.
  local mnt plain state
  plain=$(new_mountpoint plain)
  mount_shadow "$plain" --files 1000
  jq_cmp() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
  expect_eq "$(jq_cmp "$plain/.sfsg/alerts" "d['format'], d['status'], d['rules'], d['firing'], d['history']")" \
    "sfsg-alerts not-evaluated [] [] []" "alerts without a loop"
  mnt=$(new_mountpoint shadow)
  state=$T/state
  write_usage "$T/usage.csv" 50
  mount_shadow "$mnt" --files 1000 --watch "$T/usage.csv" --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-stress --no-adjust --state-dir "$state"
  wait_until 60 grep -q '"evaluated"' "$mnt/.sfsg/alerts" || fail "never evaluated: $(cat "$mnt/.sfsg/alerts")"
  expect_eq "$(jq_cmp "$plain/.sfsg/alerts" "sorted(k for k in d if k != 'reason')")" \
    "$(jq_cmp "$mnt/.sfsg/alerts" "sorted(d)")" "top-level fields before and after a round"
  expect_eq "$(jq_cmp "$mnt/.sfsg/alerts" "d['evaluated_unix'] > 0 and 'reason' not in d")" True \
    "evaluated alerts carry the time"
}

case_objective_failing_at_every_load() {
  # A latency objective no load meets (1 us) fires latency_objective whatever the demand
  # (here none is metered at all).
  local mnt state
  mnt=$(new_mountpoint shadow)
  state=$T/state
  write_usage "$T/usage.csv" 50
  mount_shadow "$mnt" --files 1000 --watch "$T/usage.csv" --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-adjust --ladder 1,2 --step 0.3s --warmup 0.1s \
    --slo p99=1us --state-dir "$state"
  wait_until 90 grep -q '"evaluated"' "$mnt/.sfsg/alerts" || fail "never evaluated: $(cat "$mnt/.sfsg/alerts")"
  json_field "$mnt/.sfsg/alerts" "d['firing']" | grep -q latency_objective ||
    fail "an objective met at no load did not fire: $(cat "$mnt/.sfsg/alerts")"
}

case_objective_not_compared_across_units() {
  # Demand counted in device requests (diskstats: read_ops, write_ops) and a ladder counted
  # in file operations, with nothing to map one onto the other (no device model): the
  # latency rule is not evaluated (value null, not measured), instead of firing on their
  # quotient (it did: a million requests/s against the shadow's ten thousand operations/s).
  local mnt state now i
  mnt=$(new_mountpoint shadow)
  state=$T/state
  now=$(date +%s)
  {
    echo "timestamp,used_bytes,files,read_ops,write_ops"
    for i in $(seq 50 -1 0); do
      echo "$((now - i * 60)),$((900000 + (50 - i) * 2000)),$((1000 + 50 - i)),$(((50 - i) * 45000000)),$(((50 - i) * 15000000))"
    done
  } >"$T/usage.csv"
  mount_shadow "$mnt" --files 1000 --watch "$T/usage.csv" --source-capacity 1000000 \
    --interval 1h --rounds 1 --no-adjust --ladder 1,2 --step 0.3s --warmup 0.1s \
    --slo p99=10s --state-dir "$state"
  wait_until 90 grep -q '"evaluated"' "$mnt/.sfsg/alerts" || fail "never evaluated: $(cat "$mnt/.sfsg/alerts")"
  expect_eq "$(json_field "$mnt/.sfsg/forecast" "d['performance']['device']['unit']['comparable']")" False \
    "demand and curve comparable"
  expect_eq "$(json_field "$mnt/.sfsg/alerts" "[(r['value'], r['measured']) for r in d['rules'] if r['name'] == 'latency_objective']")" \
    "[(None, False)]" "latency_objective's value"
  json_field "$mnt/.sfsg/alerts" "d['firing']" | grep -q latency_objective &&
    fail "fired on device requests against file operations: $(cat "$mnt/.sfsg/alerts")"
  expect_eq "$(json_field "$mnt/.sfsg/alerts" "[r['measured'] for r in d['rules'] if r['name'] == 'storage_days_to_full']")" \
    "[True]" "storage_days_to_full measured"
}

case_dash_o_keys() {
  # Every long option works in -o (and its long form --option), as key[=value].
  "$SFSG_MOUNT" -o log-level=debug,watch=/tmp,rounds=3,no_stress,log_file=/tmp/x.log \
    --option seed=5 --option=horizon=7d --print-config >"$T/effective" || fail "print-config failed"
  local want
  for want in 'log-level = debug' 'watch = /tmp' 'rounds = 3' 'no-stress = true' \
              'log-file = /tmp/x.log' 'seed = 5' 'horizon = 7d'; do
    grep -qx "$want" "$T/effective" || fail "-o/--option lost '$want': $(cat "$T/effective")"
  done
}

case_help_matches_man() {
  # Every option --help lists is in sfsg-mount(8), and --help says what the code does.
  local man_page option
  man_page=$(dirname "$0")/../../man/sfsg-mount.8
  "$SFSG_MOUNT" --help >"$T/help" || fail "--help failed"
  for option in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$option")" "$man_page" || fail "--help's $option is not in sfsg-mount.8"
  done
  grep -q -- '-V \[ --version \]' "$T/help" && grep -qF -- '\-V ", " \-\-version' "$man_page" ||
    fail "-V/--version: in --help and sfsg-mount.8"
  # --help wraps its descriptions at a width set by the longest option: read it as one line.
  tr -s ' \n' ' ' <"$T/help" >"$T/help.flat"
  grep -qF -- "its filesystem's size)" "$T/help.flat" &&
    fail "--source-capacity: --help says the filesystem's size"
  grep -q "free space" "$T/help.flat" || fail "--source-capacity: --help does not say bytes plus free space"
  return 0
}

run_case "$@"
