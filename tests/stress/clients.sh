#!/usr/bin/env bash
# Real clients against a shadow, in each write mode, with zero failures allowed:
#   stress_ng  stress-ng filesystem stressors (--verify where they support it)
#   dbench     dbench's NetBench load (client.txt)
#   bonnie     bonnie++ (small data set, many small files)
#   fio        fio verify jobs (crc32c, md5; random writes, appends, several jobs) and a
#              model-checked pwrite/truncate/punch-hole client; dir mode verifies both
#              again after a remount
#   clients64  64 processes mixing reads, writes, creates, renames, links and unlinks
#              in one tree, then readdir/stat/read consistency (and after a remount)
# After each client: the daemon is alive, the tree is consistent, unmount is clean.
# Usage: clients.sh BUILD_DIR PART [MODE...]   (PART: one above or all; MODE: memory,
#   dir, discard; default: memory dir, plus discard where data is not verified)
# Environment: STRESS_SECONDS (per stress-ng stressor, default 10), CLIENT_OPS (per
#   clients64 process, default 1000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stress_init "${1:?usage: clients.sh BUILD_DIR PART [MODE...]}"
PART=${2:?usage: clients.sh BUILD_DIR PART [MODE...]}
shift 2
[ "$(id -u)" -eq 0 ] || { echo "clients.sh: needs root: skipped" >&2; exit 77; }
SECONDS_EACH=${STRESS_SECONDS:-10}
CLIENT_OPS=${CLIENT_OPS:-1000}
TOTAL_OPS=0
FIO_KIB=0

need() {
  command -v "$1" >/dev/null || { echo "clients.sh: $1 not installed: skipped" >&2; exit 77; }
}

# mount_mode MNT MODE [extra options]: a fresh shadow; dir mode gets a fresh overlay.
mount_mode() {
  local mnt=$1 mode=$2 writes
  shift 2
  case $mode in
    dir) writes=dir:$STRESS_TMP/overlay-$(basename "$mnt"); mkdir -p "${writes#dir:}" ;;
    *) writes=$mode ;;
  esac
  stress_mount "$mnt" --files 2000 --seed 11 --writes "$writes" --log-level warn "$@"
}

remount() {
  local mnt=$1 mode=$2
  stress_unmount "$mnt" || expect "clean unmount before remount" ok failed
  stress_mount "$mnt" --files 2000 --seed 11 --writes "dir:$STRESS_TMP/overlay-$(basename "$mnt")" \
    --log-level warn
}

# after_client NAME MNT: the daemon survived, the tree is consistent, no op errors.
after_client() {
  local name=$1 mnt=$2 pid=${STRESS_PID[$2]} out
  expect "$name: daemon alive" 1 "$(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0)"
  out=$("$PROBE" consistency "$mnt" 2>&1) || true
  expect "$name: consistency" "consistency: [0-9]+ entries, 0 failures" "$(tail -1 <<<"$out")"
  [[ "$out" == *", 0 failures" ]] || grep -v '^consistency: [0-9]* entries' <<<"$out" | head -5 >&2
  # Requests the daemon failed with EIO (or an exception) show in its metrics/log.
  expect "$name: no unexpected errors logged" 0 "$(mount_log "$mnt" | grep -c 'unexpected error' || true)"
}

run_stress_ng() {
  local mode=$1 mnt dir verify=--verify stressor out ops
  need stress-ng
  mnt=$(stress_mkmnt)
  mount_mode "$mnt" "$mode" || { expect "stress-ng $mode: mount" ok failed; return; }
  dir=$mnt/stress-ng
  mkdir "$dir"
  [ "$mode" = discard ] && verify=""  # discard keeps no bytes to verify
  # filename makes names that are not UTF-8 (the dir-mode journal keeps them as $bytes).
  for stressor in "hdd 2" "iomix 2" "dentry 2" "dir 2" "rename 2" "fallocate 2" "seek 2" \
    "readahead 2" "filename 2"; do
    set -- $stressor
    out=$(cd "$dir" && timeout $((SECONDS_EACH * 6 + 60)) stress-ng --"$1" "$2" $verify \
      --timeout "${SECONDS_EACH}s" --temp-path "$dir" --metrics-brief 2>&1) && rc=0 || rc=$?
    ops=$(awk -v s="$1" '$2 == "metrc:" && $4 == s && $5 ~ /^[0-9]+$/ { print $5 }' <<<"$out" | head -1)
    stress_log "stress-ng $mode $1: rc $rc, ${ops:-?} bogo ops"
    TOTAL_OPS=$((TOTAL_OPS + ${ops:-0}))
    expect "stress-ng $mode $1: exit status" 0 "$rc"
    expect "stress-ng $mode $1: no failures" 0 "$(grep -ciE 'fail:|verif.*(fail|error)|error:' <<<"$out" || true)"
    [ "$rc" -eq 0 ] || grep -iE 'fail|error' <<<"$out" | head -5 >&2
  done
  after_client "stress-ng $mode" "$mnt"
  stress_unmount "$mnt" || expect "stress-ng $mode: clean unmount" ok failed
}

run_dbench() {
  local mode=$1 mnt out rc ops
  need dbench
  mnt=$(stress_mkmnt)
  mount_mode "$mnt" "$mode" || { expect "dbench $mode: mount" ok failed; return; }
  mkdir "$mnt/dbench"
  out=$(timeout $((SECONDS_EACH * 4 + 120)) dbench -D "$mnt/dbench" -t "$SECONDS_EACH" \
    -c /usr/share/dbench/client.txt 4 2>&1) && rc=0 || rc=$?
  ops=$(awk '/^ *Operation +Count/ { on = 1; next } on && $2 ~ /^[0-9]+$/ { n += $2 } END { print n + 0 }' <<<"$out")
  stress_log "dbench $mode: rc $rc, $ops operations, $(grep -o 'Throughput [0-9.]* MB/sec' <<<"$out")"
  TOTAL_OPS=$((TOTAL_OPS + ops))
  expect "dbench $mode: exit status" 0 "$rc"
  local errors
  # dbench 4.00 prints "failed to create barrier semaphore" when semget() returns id 0,
  # a valid id (the first semaphore in a fresh IPC namespace, as in CI); a real failure
  # (-1) stops it at the next line with "failed to initialize the barrier semaphore".
  errors=$(grep -iE '^ *\[?[0-9]*\]? *ERROR|failed' <<<"$out" |
    grep -v '^failed to create barrier semaphore *$' || true)
  expect "dbench $mode: no errors" 0 "$(grep -c . <<<"$errors" || true)"
  [ -z "$errors" ] || head -10 <<<"$errors" >&2
  [ "$rc" -eq 0 ] || tail -5 <<<"$out" >&2
  after_client "dbench $mode" "$mnt"
  stress_unmount "$mnt" || expect "dbench $mode: clean unmount" ok failed
}

run_bonnie() {
  local mode=$1 mnt out rc
  need bonnie++
  mnt=$(stress_mkmnt)
  mount_mode "$mnt" "$mode" || { expect "bonnie $mode: mount" ok failed; return; }
  mkdir "$mnt/bonnie"
  # -s: MiB of data (bonnie wants s >= 2 r, r being the RAM it assumes), -n 2: 2048
  # small files of 0..4 KiB in 16 directories, created, stat'ed and deleted. -f skips the
  # per-character phases (putc/getc through stdio: the same 4 KiB requests as the block
  # phases, fsx and fio make), which took 170 of 181 s per mode.
  out=$(timeout 600 bonnie++ -d "$mnt/bonnie" -s 256 -r 128 -n 2:4096:0:16 -u root -q -f \
    2>&1) && rc=0 || rc=$?
  stress_log "bonnie++ $mode: rc $rc: $(tail -1 <<<"$out" | cut -c1-120)"
  TOTAL_OPS=$((TOTAL_OPS + 2048 * 3 + 256 * 1024 * 3 / 8))
  expect "bonnie++ $mode: exit status" 0 "$rc"
  expect "bonnie++ $mode: no errors" 0 "$(grep -ciE "can't|error|fail" <<<"$out" || true)"
  [ "$rc" -eq 0 ] || tail -5 <<<"$out" >&2
  after_client "bonnie++ $mode" "$mnt"
  stress_unmount "$mnt" || expect "bonnie++ $mode: clean unmount" ok failed
}

# fio_jobs DIR [1]: the job file; with 1, the verify_only pass over the same data (the
# appended half is then addressed by its offset, as file_append would move past it).
fio_jobs() {
  local dir=$1 verify_only=$2
  cat <<EOF
[global]
directory=$dir
ioengine=psync
verify_fatal=1
verify_dump=0
do_verify=1
group_reporting=0
${verify_only:+verify_only=1}

[crc32c-randwrite]
rw=randwrite
bs=4k
size=16m
numjobs=4
verify=crc32c

[md5-randwrite-mixed-bs]
rw=randwrite
bsrange=1k-64k
size=12m
numjobs=2
verify=md5

[crc32c-seq-1m]
rw=write
bs=1m
size=24m
verify=crc32c

[append-base]
stonewall
rw=write
bs=16k
size=4m
filename=appended
verify=crc32c

[append-more]
stonewall
rw=write
bs=8k
size=4m
filename=appended
$([ -n "$verify_only" ] && echo "offset=4m" || echo "file_append=1")
verify=md5
EOF
}

run_fio() {
  local mode=$1 mnt dir out rc jobs
  need fio
  [ "$mode" = discard ] && return 0  # nothing to verify
  mnt=$(stress_mkmnt)
  mount_mode "$mnt" "$mode" || { expect "fio $mode: mount" ok failed; return; }
  dir=$mnt/fio
  mkdir "$dir"
  jobs=$STRESS_TMP/fio-$mode.fio
  fio_jobs "$dir" "" >"$jobs"
  out=$(timeout 600 fio --output-format=terse --terse-version=3 "$jobs" 2>&1) && rc=0 || rc=$?
  stress_log "fio $mode: rc $rc, $(grep -c '^3;' <<<"$out") job reports"
  expect "fio $mode: verify jobs" 0 "$rc"
  [ "$rc" -eq 0 ] || grep -iE 'verify|error|bad' <<<"$out" | head -5 >&2
  expect "fio $mode: no errors in reports" 0 "$(awk -F';' '/^3;/ && $5 != 0' <<<"$out" | wc -l)"
  FIO_KIB=$((FIO_KIB + $(awk -F';' '/^3;/ { n += $6 + $47 } END { print n + 0 }' <<<"$out")))
  # Writes, appends, truncates (down to unaligned sizes and back up), punched holes and
  # fallocate, all checked byte for byte against a model.
  local model=$STRESS_TMP/model-$mode.bin
  out=$("$PROBE" modelcheck "$dir/model" 4000 7 "$model" 2>&1) && rc=0 || rc=$?
  stress_log "$(tail -1 <<<"$out")"
  expect "truncate/punch model check $mode" 0 "$rc"
  [ "$rc" -eq 0 ] || tail -3 <<<"$out" >&2
  TOTAL_OPS=$((TOTAL_OPS + 4000))
  after_client "fio $mode" "$mnt"
  if [ "$mode" = dir ]; then
    remount "$mnt" "$mode" || { expect "fio dir: remount" ok failed; return; }
    fio_jobs "$dir" 1 >"$jobs"
    out=$(timeout 600 fio --output-format=terse --terse-version=3 "$jobs" 2>&1) && rc=0 || rc=$?
    stress_log "fio dir verify_only after remount: rc $rc"
    expect "fio dir: verify_only after remount" 0 "$rc"
    [ "$rc" -eq 0 ] || grep -iE 'verify|error|bad' <<<"$out" | head -5 >&2
    expect "model file identical after remount" 0 "$(cmp "$dir/model" "$model" >&2 && echo 0 || echo 1)"
    after_client "fio dir after remount" "$mnt"
  fi
  stress_unmount "$mnt" || expect "fio $mode: clean unmount" ok failed
}

run_clients64() {
  local mode=$1 mnt dir i pids=() failed=0 listing
  mnt=$(stress_mkmnt)
  mount_mode "$mnt" "$mode" --threads 8 || { expect "clients64 $mode: mount" ok failed; return; }
  dir=$mnt/churn
  mkdir "$dir"
  for i in $(seq 0 7); do mkdir "$dir/d$i"; done
  # Half the clients start in a synthetic directory too, so whiteouts and renames of
  # synthetic entries race with new ones.
  for i in $(seq 0 63); do
    "$PROBE" churn "$dir" "$i" "$CLIENT_OPS" >"$STRESS_TMP/churn-$i.out" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
  local ops
  ops=$(awk '{ n += $3 } END { print n + 0 }' "$STRESS_TMP"/churn-*.out)
  TOTAL_OPS=$((TOTAL_OPS + ops))
  stress_log "clients64 $mode: $ops operations, $failed clients with failures"
  expect "clients64 $mode: clients without failures" 0 "$failed"
  [ "$failed" -eq 0 ] || grep -h "churn" "$STRESS_TMP"/churn-*.out | grep -v operations | head -5 >&2
  after_client "clients64 $mode" "$mnt"
  if [ "$mode" = dir ]; then
    listing=$(cd "$dir" && find . -printf '%p %y %n %s\n' | sort)
    remount "$mnt" "$mode" || { expect "clients64 dir: remount" ok failed; return; }
    expect "clients64 dir: same tree after remount" "$(md5sum <<<"$listing")" \
      "$(cd "$dir" && find . -printf '%p %y %n %s\n' | sort | md5sum)"
    [ "$listing" = "$(cd "$dir" && find . -printf '%p %y %n %s\n' | sort)" ] ||
      diff <(echo "$listing") <(cd "$dir" && find . -printf '%p %y %n %s\n' | sort) | head -5 >&2 ||
      true
    after_client "clients64 dir after remount" "$mnt"
  fi
  stress_unmount "$mnt" || expect "clients64 $mode: clean unmount" ok failed
}

run_part() {
  local part=$1 modes=("${@:2}")
  if [ ${#modes[@]} -eq 0 ]; then
    case $part in
      stress_ng | dbench | bonnie | clients64) modes=(memory dir discard) ;;
      *) modes=(memory dir) ;;
    esac
  fi
  for mode in "${modes[@]}"; do "run_$part" "$mode"; done
}

case $PART in
  all) for p in stress_ng dbench bonnie fio clients64; do run_part "$p" "$@"; done ;;
  stress_ng | dbench | bonnie | fio | clients64) run_part "$PART" "$@" ;;
  *) echo "clients.sh: unknown part $PART" >&2; exit 2 ;;
esac
echo "clients.sh $PART: about $TOTAL_OPS client operations, fio moved $((FIO_KIB / 1024)) MiB"
stress_finish
