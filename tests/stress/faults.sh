#!/usr/bin/env bash
# Faults under a running shadow:
#   kill9    kill -9 of sfsg-mount during fsync'd writes and namespace churn (dir mode):
#            no dead mount left, the remount replays, every fsync-acknowledged byte is
#            there, the tree is consistent (three rounds)
#   enospc   a full overlay (memory limit, dir limit, a full filesystem under dir mode):
#            ENOSPC, the mount stays up, earlier data intact, space comes back on delete
#   scratch  the overlay directory removed, or its filesystem turned read-only, under a
#            running mount: errors (EIO/EROFS/ENOSPC, with a log line), never a false
#            fsync, the mount stays up and keeps serving the synthetic tree
#   fdlimit  dir mode under a low descriptor limit (prlimit --nofile=128): 400 written
#            files all succeed, the daemon's descriptors stay below the limit
#   profile  the profile file changed, truncated or removed under a running mount: it
#            keeps serving the same tree; a remount with a changed or broken profile
#            fails with a clear message
# Usage: faults.sh BUILD_DIR FAULT...   (FAULT: one above or all). Needs root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stress_init "${1:?usage: faults.sh BUILD_DIR FAULT...}"
shift
FAULTS=("$@")
[ ${#FAULTS[@]} -eq 0 ] || [ "${FAULTS[0]}" = all ] && FAULTS=(kill9 enospc scratch fdlimit profile)
[ "$(id -u)" -eq 0 ] || { echo "faults.sh: needs root: skipped" >&2; exit 77; }

alive() { kill -0 "${STRESS_PID[$1]}" 2>/dev/null && echo 1 || echo 0; }

# wait_unmounted MNT: 1 when the kernel mount went away within 10 s.
wait_unmounted() {
  local i
  for i in $(seq 1 200); do
    mountpoint -q "$1" 2>/dev/null || { echo 1; return; }
    sleep 0.05
  done
  echo 0
}

# expect_survived LABEL MNT LOG: after a remount, every write LOG acknowledged reads back
# under MNT/ack and the tree at MNT is consistent (a failure's first lines go to stderr).
expect_survived() {
  local label=$1 mnt=$2 log=$3 out
  out=$("$PROBE" ackverify "$mnt/ack" "$log" 2>&1) || true
  stress_log "$label: $(tail -1 <<<"$out")"
  expect "$label: acknowledged bytes after remount" ".*, 0 failures" "$(tail -1 <<<"$out")"
  [[ "$out" == *", 0 failures" ]] || head -5 <<<"$out" >&2
  out=$("$PROBE" consistency "$mnt" 2>&1) || true
  expect "$label: tree consistent after remount" ".*, 0 failures" "$(tail -1 <<<"$out")"
  [[ "$out" == *", 0 failures" ]] || head -5 <<<"$out" >&2
}

fault_kill9() {
  local mnt overlay log round pid i pids
  mnt=$(stress_mkmnt)
  overlay=$STRESS_TMP/overlay-kill9
  mkdir -p "$overlay"
  log=$STRESS_TMP/acks.log
  : >"$log"
  for round in 1 2 3; do
    stress_mount "$mnt" --files 500 --seed 3 --writes "dir:$overlay" ||
      { expect "kill9 round $round: mount (replay)" ok "failed: $(tail -2 "$STRESS_LOG")"; return; }
    pid=${STRESS_PID[$mnt]}
    if [ "$round" -gt 1 ]; then
      expect_survived "kill9 round $round" "$mnt" "$log"
      [ -d "$mnt/ack" ] && mv "$mnt/ack" "$mnt/ack-round$round"
      : >"$log"
    fi
    mkdir -p "$mnt/ack" "$mnt/churn"
    for i in $(seq 0 3); do mkdir -p "$mnt/churn/d$i"; done
    pids=()
    "$PROBE" ackwriter "$mnt/ack" "$log" 6 >/dev/null 2>&1 &
    pids+=($!)
    for i in 1 2 3 4; do
      "$PROBE" churn "$mnt/churn" "$((round * 10 + i))" 100000 >/dev/null 2>&1 &
      pids+=($!)
    done
    sleep $((1 + round))
    kill -9 "$pid"
    for i in "${pids[@]}"; do wait "$i" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
    unset "STRESS_PID[$mnt]"
    expect "kill9 round $round: no dead mount (auto_unmount)" 1 "$(wait_unmounted "$mnt")"
    mountpoint -q "$mnt" && umount -l "$mnt"
    stress_log "kill9 round $round: $(wc -l <"$log") fsync acknowledgements, journal $(du -h "$overlay/journal.jsonl" | cut -f1)"
  done
  stress_mount "$mnt" --files 500 --seed 3 --writes "dir:$overlay" ||
    { expect "kill9: final remount" ok failed; return; }
  expect_survived "kill9 final" "$mnt" "$log"
  grep -i torn "$STRESS_LOG" | tail -3 >&2 || true
  stress_unmount "$mnt" || expect "kill9: clean unmount" ok failed
}

# full_overlay LABEL MNT: the overlay at MNT takes about 8 MiB.
full_overlay() {
  local label=$1 mnt=$2 sum rc
  dd if=/dev/urandom of="$mnt/keep" bs=64k count=16 status=none
  sum=$(md5sum <"$mnt/keep")
  rc=0
  dd if=/dev/zero of="$mnt/big" bs=1M count=64 conv=fsync status=none 2>"$STRESS_TMP/dd.err" || rc=$?
  expect "$label: overfilling fails" 1 "$([ $rc -ne 0 ] && echo 1 || echo 0)"
  expect "$label: with ENOSPC" 1 "$(grep -c 'No space left' "$STRESS_TMP/dd.err" || true)"
  expect "$label: mount alive" 1 "$(alive "$mnt")"
  expect "$label: status readable" 1 "$(jq -e .overlay.bytes_used "$mnt/.sfsg/status" >/dev/null && echo 1 || echo 0)"
  expect "$label: earlier data intact" "$sum" "$(md5sum <"$mnt/keep")"
  expect "$label: new small write refused while full" "open:ENOSPC|write:ENOSPC|fsync:ENOSPC|OK" \
    "$("$PROBE" writesync "$mnt/small" "$(head -c 100000 /dev/zero | tr '\0' x)")"
  rm -f "$mnt/big" "$mnt/small"
  expect "$label: space back after delete" OK "$("$PROBE" writesync "$mnt/after" hello)"
  expect "$label: the file is there" hello "$(cat "$mnt/after")"
  expect "$label: statfs answers" 1 "$(df "$mnt" >/dev/null && echo 1 || echo 0)"
}

fault_enospc() {
  local mnt tmpfs overlay
  mnt=$(stress_mkmnt)
  stress_mount "$mnt" --files 100 --writes memory:8M
  full_overlay "memory:8M" "$mnt"
  stress_unmount "$mnt" || expect "memory:8M: clean unmount" ok failed
  overlay=$STRESS_TMP/overlay-limit
  mkdir -p "$overlay"
  stress_mount "$mnt" --files 100 --writes "dir:$overlay:8M"
  full_overlay "dir:8M" "$mnt"
  stress_unmount "$mnt" || expect "dir:8M: clean unmount" ok failed
  # No limit, but the filesystem under the overlay fills up.
  tmpfs=$STRESS_TMP/tmpfs-full
  mkdir -p "$tmpfs"
  mount -t tmpfs -o size=8m tmpfs "$tmpfs"
  stress_mount "$mnt" --files 100 --writes "dir:$tmpfs"
  full_overlay "dir on a full tmpfs" "$mnt"
  local sum
  sum=$(md5sum <"$mnt/keep")
  stress_unmount "$mnt" || expect "full tmpfs: clean unmount" ok failed
  stress_mount "$mnt" --files 100 --writes "dir:$tmpfs" ||
    expect "full tmpfs: remount" ok "failed: $(tail -2 "$STRESS_LOG")"
  expect "full tmpfs: data after remount" "$sum" "$(md5sum <"$mnt/keep" 2>&1)"
  expect "full tmpfs: file after remount" hello "$(cat "$mnt/after" 2>&1)"
  stress_unmount "$mnt" || true
  umount "$tmpfs"
}

# Runs the probe's writesync (open, write, fsync) and prints its answer, logged after NOTE.
writesync_noted() {
  local note=$1 out
  shift
  out=$("$PROBE" writesync "$@")
  stress_log "$note: $out"
  echo "$out"
}

# 1 when the daemon's log has an error, a failure or a warning after line $1, else 0.
logged_error_since() {
  [ "$(tail -n +$(($1 + 1)) "$STRESS_LOG" | grep -ciE 'error|fail|warn')" -gt 0 ] && echo 1 || echo 0
}

fault_scratch() {
  local mnt overlay synthetic sum out
  mnt=$(stress_mkmnt)
  overlay=$STRESS_TMP/overlay-vanish
  mkdir -p "$overlay"
  stress_mount "$mnt" --files 200 --writes "dir:$overlay"
  synthetic=$(find "$mnt" -path "$mnt/.sfsg" -prune -o -type f -size +1k -print -quit)
  sum=$(md5sum <"$synthetic")
  expect "vanish: write before" OK "$("$PROBE" writesync "$mnt/before" one)"
  local lines_before
  lines_before=$(wc -l <"$STRESS_LOG")
  rm -rf "$overlay"
  out=$(writesync_noted "scratch removed: new file" "$mnt/new" data)
  expect "vanish: new file write fails" "(write|fsync|open):(EIO|ENOENT|ENOSPC|EROFS)" "$out"
  out=$(writesync_noted "scratch removed: fsync of a file written before" "$mnt/before" two)
  # Every change fails once the journal is gone (here at open: the mount refuses
  # a write it could not make durable), never a false OK.
  expect "vanish: no false fsync on an old file" "(open|write|fsync):(EIO|ENOENT|ENOSPC|EROFS)" "$out"
  # A read gives what was acknowledged (the data file is still open) or EIO, never the
  # synthetic bytes underneath and never the refused append.
  out=$(cat "$mnt/before" 2>&1)
  expect "vanish: a written file reads as written or EIO" "one|.*Input/output error" "$out"
  expect "vanish: mount alive" 1 "$(alive "$mnt")"
  expect "vanish: synthetic reads" "$sum" "$(md5sum <"$synthetic")"
  expect "vanish: listing" 1 "$([ "$(ls "$mnt" | wc -l)" -gt 0 ] && echo 1 || echo 0)"
  expect "vanish: an error is logged" 1 "$(logged_error_since "$lines_before")"
  stress_unmount "$mnt" || expect "vanish: clean unmount" ok failed

  # Read-only: root ignores permission bits, so the daemon runs as root without
  # CAP_DAC_OVERRIDE/CAP_FOWNER, and the overlay becomes read-only under it (a
  # filesystem remount,ro is refused while the daemon holds files open for writing).
  overlay=$STRESS_TMP/overlay-ro
  mkdir -p "$overlay"
  STRESS_WRAP="setpriv --bounding-set -dac_override,-dac_read_search,-fowner --inh-caps -all --" \
    stress_mount "$mnt" --files 200 --writes "dir:$overlay"
  expect "read-only: write before" OK "$("$PROBE" writesync "$mnt/before" one)"
  lines_before=$(wc -l <"$STRESS_LOG")
  chmod -R a-w "$overlay"
  out=$(writesync_noted "scratch read-only: new file" "$mnt/new" data)
  expect "read-only: new file refused" "(open|write|fsync):(EIO|EROFS|EACCES)" "$out"
  out=$(writesync_noted "scratch read-only: file opened before (its descriptors stay writable)" \
    "$mnt/before" two)
  expect "read-only: old file" "OK|(write|fsync):(EIO|EROFS|EACCES)" "$out"
  expect "read-only: mount alive" 1 "$(alive "$mnt")"
  expect "read-only: synthetic reads" 1 "$(cat "$synthetic" >/dev/null && echo 1 || echo 0)"
  expect "read-only: an error is logged" 1 "$(logged_error_since "$lines_before")"
  chmod -R u+w "$overlay"
  expect "read-only: writable again" OK "$("$PROBE" writesync "$mnt/again" three)"
  local listing
  listing=$(ls "$mnt" | sort)
  stress_unmount "$mnt" || expect "read-only: clean unmount" ok failed
  stress_mount "$mnt" --files 200 --writes "dir:$overlay" ||
    { expect "read-only: remount after the episode" ok "failed: $(tail -1 "$STRESS_LOG")"; return; }
  expect "read-only: same names after remount" "$(md5sum <<<"$listing")" "$(ls "$mnt" | sort | md5sum)"
  expect "read-only: acknowledged data after remount" "one(two)?three" \
    "$(cat "$mnt/before" "$mnt/again" 2>&1 | tr -d '\n')"
  stress_unmount "$mnt" || true
}

fault_fdlimit() {
  local mnt overlay i failures=0 fds
  mnt=$(stress_mkmnt)
  overlay=$STRESS_TMP/overlay-fdlimit
  mkdir -p "$overlay"
  STRESS_WRAP="prlimit --nofile=128 --" stress_mount "$mnt" --files 50 --writes "dir:$overlay"
  for i in $(seq 1 400); do
    echo "data $i" >"$mnt/f$i" 2>/dev/null || failures=$((failures + 1))
  done
  fds=$(proc_figures "${STRESS_PID[$mnt]}" | cut -d' ' -f2)
  stress_log "fdlimit: $failures of 400 writes failed; daemon holds $fds descriptors"
  expect "fdlimit: 400 files written under a 128-descriptor limit" 0 "$failures"
  expect "fdlimit: descriptors bounded" 1 "$([ "$fds" -lt 128 ] && echo 1 || echo 0)"
  expect "fdlimit: contents" "data 400" "$(cat "$mnt/f400" 2>&1)"
  stress_unmount "$mnt" || expect "fdlimit: clean unmount" ok failed
}

fault_profile() {
  local mnt profile overlay listing sums control rc
  mnt=$(stress_mkmnt)
  stress_mount "$mnt" --files 50
  profile=$STRESS_TMP/profile.json
  cp "$mnt/.sfsg/profile" "$profile"
  cp "$profile" "$STRESS_TMP/profile.orig"
  stress_unmount "$mnt"
  overlay=$STRESS_TMP/overlay-profile
  mkdir -p "$overlay"
  stress_mount "$mnt" --files 3000 --seed 9 --writes "dir:$overlay" "$profile" ||
    { expect "profile: mount with an exported profile" ok failed; return; }
  listing=$(cd "$mnt" && find . -path ./.sfsg -prune -o -printf '%p %s %m\n' | sort | md5sum)
  sums=$(cd "$mnt" && find . -path ./.sfsg -prune -o -type f -print | sort | sed -n 1,50p | xargs md5sum | md5sum)
  control=$(md5sum <"$mnt/.sfsg/profile")
  echo "overlay kept" >"$mnt/kept"
  for change in garbage truncate remove different; do
    case $change in
      garbage) head -c 5000 /dev/urandom >"$profile" ;;
      truncate) : >"$profile" ;;
      remove) rm -f "$profile" ;;
      different) jq '.source.capacity_bytes += 4096' "$STRESS_TMP/profile.orig" >"$profile" ;;
    esac
    expect "profile $change: same tree" "$listing" \
      "$(cd "$mnt" && find . -path ./.sfsg -prune -o -printf '%p %s %m\n' | grep -v '^./kept' | sort | md5sum)"
    expect "profile $change: same bytes" "$sums" \
      "$(cd "$mnt" && find . -path ./.sfsg -prune -o -type f -print | grep -v '^./kept' | sort | sed -n 1,50p | xargs md5sum | md5sum)"
    expect "profile $change: /.sfsg/profile unchanged" "$control" "$(md5sum <"$mnt/.sfsg/profile")"
    expect "profile $change: mount alive" 1 "$(alive "$mnt")"
  done
  stress_unmount "$mnt" || expect "profile: clean unmount" ok failed
  # Remounts: a broken profile fails with exit status 4 and names the file; a different
  # profile is refused by the overlay journal with exit status 3 (the overlay belongs to
  # another shadow: unusable here, not malformed).
  head -c 3000 /dev/urandom >"$profile"
  rc=0
  "$MOUNT_BIN" --files 3000 --seed 9 --writes "dir:$overlay" "$profile" "$mnt" \
    >"$STRESS_TMP/bad.out" 2>&1 || rc=$?
  expect "profile: broken profile exit status" 4 "$rc"
  expect "profile: message names the file" 1 "$(grep -q "profile.json" "$STRESS_TMP/bad.out" && echo 1 || echo 0)"
  stress_log "broken profile: $(head -c 200 "$STRESS_TMP/bad.out")"
  expect "profile: broken profile leaves no mount" 0 "$(mountpoint -q "$mnt" && echo 1 || echo 0)"
  mountpoint -q "$mnt" && fusermount3 -u "$mnt"
  jq '.source.capacity_bytes += 4096' "$STRESS_TMP/profile.orig" >"$profile"
  rc=0
  "$MOUNT_BIN" --files 3000 --seed 9 --writes "dir:$overlay" "$profile" "$mnt" \
    >"$STRESS_TMP/changed.out" 2>&1 || rc=$?
  expect "profile: changed profile refused by the overlay" 3 "$rc"
  stress_log "changed profile: $(head -c 200 "$STRESS_TMP/changed.out")"
  mountpoint -q "$mnt" && fusermount3 -u "$mnt"
  : >"$profile"
  rc=0
  "$MOUNT_BIN" --files 3000 --seed 9 --writes "dir:$overlay" "$profile" "$mnt" \
    >"$STRESS_TMP/empty.out" 2>&1 || rc=$?
  expect "profile: empty profile exit status" 4 "$rc"
  mountpoint -q "$mnt" && fusermount3 -u "$mnt"
  rc=0
  "$MOUNT_BIN" --files 3001 --seed 9 --writes "dir:$overlay" "$mnt" >"$STRESS_TMP/other.out" 2>&1 || rc=$?
  expect "profile: overlay of another shadow refused" 3 "$rc"
  mountpoint -q "$mnt" && fusermount3 -u "$mnt"
  cp "$STRESS_TMP/profile.orig" "$profile"
  stress_mount "$mnt" --files 3000 --seed 9 --writes "dir:$overlay" "$profile" ||
    { expect "profile: original profile remounts" ok failed; return; }
  expect "profile: overlay file kept" "overlay kept" "$(cat "$mnt/kept")"
  stress_unmount "$mnt" || expect "profile: clean unmount" ok failed
  return 0
}

for fault in "${FAULTS[@]}"; do
  case $fault in
    kill9 | enospc | scratch | fdlimit | profile) stress_log "fault: $fault"; "fault_$fault" ;;
    *) echo "faults.sh: unknown fault $fault" >&2; exit 2 ;;
  esac
done
stress_finish
