#!/usr/bin/env bash
# Scale: a 1-billion-file, 1 PiB shadow mounts, answers df and stat, and its daemon
# stays small while find walks a million entries. Times are printed, never asserted.
# Usage: scale.sh CASE
source "$(dirname "$0")/lib.sh"

HUGE=(--files 1G --bytes 1P --writes discard)

now_ns() { date +%s%N; }

case_scale_mount() {
  local m t0 t1
  m=$(new_mountpoint m)
  t0=$(now_ns)
  mount_shadow "$m" "${HUGE[@]}"
  t1=$(now_ns)
  note "mount of 1G files / 1 PiB returned in $(((t1 - t0) / 1000000)) ms"
  t0=$(now_ns)
  df -B1 "$m" >"$T/df"
  t1=$(now_ns)
  note "df answered in $(((t1 - t0) / 1000000)) ms: $(tail -n 1 "$T/df")"
  local size used
  size=$(df -B1 --output=size "$m" | tail -n 1 | tr -d ' ')
  used=$(df -B1 --output=used "$m" | tail -n 1 | tr -d ' ')
  [ "$used" -ge $((1 << 50)) ] || fail "df used $used < 1 PiB"
  [ "$size" -ge "$used" ] || fail "df size $size < used $used"
  expect_eq "$(json_field "$m/.sfsg/status" .entries)" 1000000000 "entries"
  expect_eq "$(df --output=itotal "$m" | tail -n 1 | tr -d ' ')" \
    "$(stat -f -c %c "$m")" "inode total from df and stat -f"
  [ "$(stat -f -c %c "$m")" -gt 1000000000 ] || fail "statfs reports fewer inodes than entries"
  # stat of the root and of the first file find meets (depth first).
  t0=$(now_ns)
  stat "$m" >/dev/null
  local file depth
  file=$(find "$m" -path "$m/.sfsg" -prune -o -type f -print -quit)
  [ -n "$file" ] || fail "no file found"
  depth=$(($(tr -cd / <<<"${file#"$m"}" | wc -c) - 1))
  stat -c '%s %i %y' "$file" >"$T/stat"
  t1=$(now_ns)
  note "stat of the root and a file at depth $depth ($(cat "$T/stat")) in $(((t1 - t0) / 1000000)) ms"
  # Reading the largest possible file offsets works.
  head -c 1048576 "$file" | wc -c >/dev/null
}

case_scale_rss() {
  local m pid t0 t1 walked
  # A sanitizer's shadow memory and quarantine are not the daemon's memory, and a walk
  # of a million entries under instrumentation outlasts the test's timeout.
  [ -z "${SFSG_SANITIZER:-}" ] || skip "RSS is not measurable under $SFSG_SANITIZER"
  m=$(new_mountpoint m)
  mount_shadow "$m" "${HUGE[@]}"
  pid=$(daemon_pid "$m")
  [ -n "$pid" ] || fail "no daemon for $m"
  note "daemon RSS after mount: $(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$pid/status")"
  t0=$(now_ns)
  # find stops on SIGPIPE once head has its million lines.
  walked=$(set +o pipefail; find "$m" | head -n 1000000 | wc -l)
  t1=$(now_ns)
  expect_eq "$walked" 1000000 "entries walked"
  local rss hwm
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
  note "find walked 1M entries in $(((t1 - t0) / 1000000)) ms; daemon RSS $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB"
  [ "$hwm" -lt $((100 * 1024)) ] || fail "daemon peak RSS $((hwm / 1024)) MiB >= 100 MiB"
}

run_case "$@"
