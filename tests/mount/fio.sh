#!/usr/bin/env bash
# fio against a shadow: sequential and random reads (direct_io, the default), and
# random writes with crc32c verification through the memory overlay.
# Usage: fio.sh CASE
source "$(dirname "$0")/lib.sh"

# A small tree with big files: finding the largest file stays quick.
OPTS=seed=42,files=2000,bytes=16G

command -v fio >/dev/null || skip "fio is not installed"

# largest_file DIR: relative path of the largest regular file.
largest_file() {
  (cd "$1" && find . -path ./.sfsg -prune -o -type f -printf '%s %p\n') |
    sort -n | tail -n 1 | cut -d' ' -f2-
}

# fio_json FILE FILTER: a value out of fio's JSON output (fio may print warnings first).
fio_json() { sed -n '/^{/,$p' "$1" | jq -r "$2"; }

# run_fio OUT.json fio-arguments...: runs fio with JSON output; fails on a fio error.
run_fio() {
  local out=$1
  shift
  # From $T, without verify state files: fio leaves nothing in the caller's directory.
  (cd "$T" && fio --output-format=json --output="$out" --verify_state_save=0 "$@") ||
    fail "fio $*: exit $?"
  [ "$(fio_json "$out" "[.jobs[].error] | add")" = 0 ] || fail "fio reported an error"
}

case_fio_seqread() {
  command -v jq >/dev/null || skip "jq is not installed"
  local m f size want
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  f=$(largest_file "$m")
  size=$(stat -c %s "$m/$f")
  want=$((size < 536870912 ? size / 1048576 * 1048576 : 536870912))
  [ "$want" -ge 67108864 ] || fail "largest file is only $size bytes"
  run_fio "$T/seq.json" --name=seq --filename="$m/$f" --readonly --rw=read --bs=1M \
    --ioengine=psync --size="$want"
  local bytes bw
  bytes=$(fio_json "$T/seq.json" '.jobs[0].read.io_bytes')
  bw=$(fio_json "$T/seq.json" '.jobs[0].read.bw_bytes')
  note "sequential 1 MiB reads of $f: $bytes bytes, $((bw / 1048576)) MiB/s"
  expect_eq "$bytes" "$want" "bytes read"
  # The filesystem served them (direct_io: no page cache in between).
  local served
  served=$(json_field "$m/.sfsg/status" .bytes_read)
  [ "$served" -ge "$want" ] || fail "status bytes_read $served < $want"
}

case_fio_randread() {
  command -v jq >/dev/null || skip "jq is not installed"
  local m f
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  f=$(largest_file "$m")
  run_fio "$T/rand.json" --name=rand --filename="$m/$f" --readonly --rw=randread --bs=4k \
    --ioengine=psync --io_size=64M --numjobs=2 --group_reporting
  local bytes iops
  bytes=$(fio_json "$T/rand.json" '.jobs[0].read.io_bytes')
  iops=$(fio_json "$T/rand.json" '.jobs[0].read.iops | floor')
  note "random 4 KiB reads, 2 jobs: $bytes bytes, $iops IOPS"
  expect_eq "$bytes" $((2 * 64 * 1048576)) "bytes read"
}

# Two jobs write random 4 KiB blocks with crc32c headers and read them back: new files,
# and the start of a synthetic file (whose next bytes must stay synthetic).
case_fio_randwrite_verify() {
  command -v jq >/dev/null || skip "jq is not installed"
  local m ref f size half
  m=$(new_mountpoint m)
  ref=$(new_mountpoint ref)
  mount_shadow "$m" -o "$OPTS,writes=memory"
  mount_shadow "$ref" -o "$OPTS,writes=memory"
  mkdir "$m/fio"
  run_fio "$T/new.json" --name=w --directory="$m/fio" --rw=randwrite --bs=4k --size=8M \
    --numjobs=2 --ioengine=psync --verify=crc32c --do_verify=1 --verify_fatal=1 \
    --group_reporting
  expect_eq "$(fio_json "$T/new.json" '.jobs[0].write.io_bytes')" $((2 * 8 * 1048576)) \
    "bytes written to new files"
  expect_eq "$(ls "$m/fio" | wc -l)" 2 "fio files"
  f=$(largest_file "$m")
  size=$(stat -c %s "$m/$f")
  half=$((size / 2 / 1048576 * 1048576))
  [ "$half" -ge 16777216 ] || fail "largest file is only $size bytes"
  [ "$half" -le 33554432 ] || half=33554432
  # Each job owns one half of the range (verification needs one writer per block).
  run_fio "$T/synth.json" --name=s --filename="$m/$f" --rw=randwrite --bs=4k \
    --size=$((half / 2)) --offset_increment=$((half / 2)) --numjobs=2 --ioengine=psync \
    --verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting
  expect_eq "$(fio_json "$T/synth.json" '.jobs[0].write.io_bytes')" "$half" \
    "bytes written into $f"
  # The 32 MiB after the written range are still the synthetic bytes.
  cmp <(dd if="$m/$f" bs=1M skip=$((half / 1048576)) count=32 status=none) \
    <(dd if="$ref/$f" bs=1M skip=$((half / 1048576)) count=32 status=none) ||
    fail "the unwritten part of $f changed"
  expect_eq "$(stat -c %s "$m/$f")" "$size" "size of the rewritten synthetic file"
  [ "$(json_field "$m/.sfsg/status" .overlay.bytes_used)" -ge $((2 * 8 * 1048576 + half)) ] ||
    fail "overlay holds less than the new files"
}

run_case "$@"
