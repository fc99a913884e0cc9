#!/usr/bin/env bash
# The overlay against what tmpfs does (the 2026-11 audit): punched holes in each write
# mode, shrinking and fallocate at a full overlay, a removed dir overlay, setuid/setgid
# after a write as root and as another user, O_RDONLY|O_TRUNC, st_blocks and df.
# Usage: overlay_audit.sh CASE
source "$(dirname "$0")/lib.sh"

OPTS=seed=42,files=2000,bytes=24M

# pick DIR PREDICATE...: the first synthetic entry matching find PREDICATE (not /.sfsg).
pick() {
  local dir=$1
  shift
  (cd "$dir" && find . -path ./.sfsg -prune -o "$@" -print | awk 'NR == 1')
}

need() { command -v "$1" >/dev/null || skip "$1 is not installed"; }

# mount_pair WRITES: the shadow at a new mountpoint $m with writes=WRITES and, to compare
# against, the same shadow untouched at a new $ref (both variables are the caller's).
mount_pair() {
  m=$(new_mountpoint m)
  ref=$(new_mountpoint ref)
  mount_shadow "$ref" -o "$OPTS"
  mount_shadow "$m" -o "$OPTS,writes=$1"
}

# zeros_at FILE OFFSET LENGTH: true when LENGTH bytes of FILE from OFFSET are zeros.
zeros_at() {
  cmp -s <(tail -c +$(($2 + 1)) "$1" | head -c "$3") <(head -c "$3" /dev/zero)
}

case_punch_discard() {
  need fallocate
  local m ref s
  mount_pair discard
  s=$(pick "$m" -type f -size +16k)
  fallocate -p -o 4096 -l 4096 "$m/$s" || fail "punch hole in discard mode"
  # discard reads a written range back as the synthetic content: nothing may change.
  cmp "$m/$s" "$ref/$s" || fail "a punch of [4096, 8192) changed bytes of $s"
}

case_punch_memory() {
  need fallocate
  local m s size
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS,writes=memory:1M"
  s=$(pick "$m" -type f -size +2M)
  [ -n "$s" ] || s=$(pick "$m" -type f -size +1M)
  [ -n "$s" ] || fail "no synthetic file over 1 MiB"
  size=$(stat -c %s "$m/$s")
  fallocate -p -o 0 -l $((size + 8192)) "$m/$s" || fail "punching $size bytes under a 1 MiB limit"
  expect_eq "$(stat -c %s "$m/$s")" "$size" "size after the punch"
  zeros_at "$m/$s" 0 "$size" || fail "the punched file does not read as zeros"
  expect_eq "$(json_field "$m/.sfsg/status" .overlay.bytes_used)" 0 "overlay bytes after a punch"
  head -c 1000000 /dev/urandom >"$T/data"
  cp "$T/data" "$m/new" || fail "the overlay is full after a punch"
  # A stored block cut by a hole keeps its other bytes; whole blocks are freed.
  fallocate -p -o 100 -l 8192 "$m/new" || fail "punch into written data"
  cmp -n 100 "$m/new" "$T/data" || fail "bytes before the hole changed"
  zeros_at "$m/new" 100 8192 || fail "the hole in new is not zeros"
  cmp <(tail -c +8293 "$m/new") <(tail -c +8293 "$T/data") || fail "bytes after the hole changed"
  expect_eq "$(json_field "$m/.sfsg/status" .overlay.bytes_used)" $(((245 - 1) * 4096)) \
    "overlay bytes after punching one whole block"
}

case_punch_dir_remount() {
  need fallocate
  local m o ref s
  o=$(new_mountpoint overlay)
  mount_pair "dir:$o"
  s=$(pick "$m" -type f -size +64k)
  fallocate -p -o 5000 -l 20000 "$m/$s" || fail "punch in dir mode"
  sync "$m/$s"
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  cmp -n 5000 "$m/$s" "$ref/$s" || fail "bytes before the hole changed after a remount"
  zeros_at "$m/$s" 5000 20000 || fail "the hole is gone after a remount"
  cmp <(tail -c +25001 "$m/$s") <(tail -c +25001 "$ref/$s") || fail "bytes after the hole changed"
}

# fill MNT: writes to MNT/fill until ENOSPC.
fill() {
  dd if=/dev/urandom of="$1/fill" bs=64k status=none 2>/dev/null &&
    fail "writing past the limit succeeded"
  true
}

case_truncate_full() {
  local m s ref
  mount_pair memory:1M
  fill "$m"
  s=$(pick "$m" -type f -size +16k)
  truncate -s 100 "$m/$s" || fail "truncate -s 100 with the overlay full"
  expect_eq "$(stat -c %s "$m/$s")" 100 "size after the shrink"
  cmp "$m/$s" <(head -c 100 "$ref/$s") || fail "the kept 100 bytes changed"
}

case_fallocate_reserve() {
  need fallocate
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS,writes=memory:1M"
  fallocate -l 800K "$m/a" || fail "fallocate of 800K under 1M"
  fallocate -l 800K "$m/b" 2>"$T/err" && fail "a second 800K fallocate under 1M succeeded"
  grep -q "No space left on device" "$T/err" || fail "expected ENOSPC, got: $(cat "$T/err")"
  head -c 819200 /dev/urandom >"$T/data"
  dd if="$T/data" of="$m/a" conv=notrunc status=none || fail "writing into a reserved range"
  cmp "$m/a" "$T/data" || fail "a does not read back"
  expect_eq "$(df --output=avail -B1 "$m" | tail -n 1 | tr -d ' ')" $((1048576 - 819200)) \
    "df avail with 800K of 1M reserved"
}

case_dir_removed() {
  local m o
  m=$(new_mountpoint m)
  o=$(new_mountpoint overlay)
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  echo first >"$m/f"
  mkdir "$m/d"
  sync "$m/f"
  exec 7>>"$m/f"
  rm -rf "$o"
  (echo more >>"$m/f") 2>/dev/null && fail "an append succeeded after the overlay dir was removed"
  mkdir "$m/d2" 2>/dev/null && fail "mkdir succeeded after the overlay dir was removed"
  touch "$m/g" 2>/dev/null && fail "create succeeded after the overlay dir was removed"
  mv "$m/f" "$m/f2" 2>/dev/null && fail "rename succeeded after the overlay dir was removed"
  chmod 600 "$m/f" 2>/dev/null && fail "chmod succeeded after the overlay dir was removed"
  rmdir "$m/d" 2>/dev/null && fail "rmdir succeeded after the overlay dir was removed"
  # A descriptor opened before: its writes fail within the check interval (0.1 s).
  sleep 0.3
  (echo late >&7) 2>/dev/null && fail "a write through an open descriptor succeeded"
  exec 7>&-
  expect_eq "$(cat "$m/f")" first "content of f"
  valid_json "$m/.sfsg/status" || fail "the mount stopped answering"
}

case_suid_root() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  echo a >"$m/f"
  chmod 4755 "$m/f"
  echo x >>"$m/f"
  # root has CAP_FSETID: tmpfs keeps the bit.
  expect_eq "$(stat -c %a "$m/f")" 4755 "mode after root appended"
}

case_suid_nobody() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  local m nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod 1777 "$T"
  m=$(new_mountpoint m)
  chmod 1777 "$m"
  mount_shadow "$m" -o "$OPTS" --allow-other
  mkdir "$m/shared"
  chmod 1777 "$m/shared"
  "${nobody[@]}" sh -c "echo a >'$m/shared/g' && chmod 6777 '$m/shared/g' && echo z >>'$m/shared/g'" ||
    fail "nobody could not write its file"
  # Both bits go for a writer without CAP_FSETID (setgid because group-exec is set).
  # (%s makes stat ask for the size, which the kernel refetches after a write; the mode
  # alone comes from its cache unless sfsg-mount hands ServeState its session.)
  expect_eq "$("${nobody[@]}" stat -c '%a %s' "$m/shared/g")" "777 4" "mode after nobody appended"
  expect_eq "$(stat -c '%a %s' "$m/shared/g")" "777 4" "mode seen by root"
  expect_eq "$(cat "$m/shared/g")" "a
z" "content"
}

case_rdonly_trunc() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  echo data >"$m/f"
  python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_TRUNC))' "$m/f" ||
    fail "open(O_RDONLY|O_TRUNC)"
  expect_eq "$(stat -c %s "$m/f")" 0 "size after open(O_RDONLY|O_TRUNC)"
}

case_blocks_and_df() {
  local m before after s size
  m=$(new_mountpoint m)
  # No limit: with one, df's free space is what the overlay can still take.
  mount_shadow "$m" -o "$OPTS"
  truncate -s 1M "$m/sparse"
  printf abc | dd of="$m/sparse" bs=1 seek=1000 conv=notrunc status=none
  expect_eq "$(stat -c %b "$m/sparse")" 8 "st_blocks of a sparse file with 3 bytes"
  before=$(df --output=iused "$m" | tail -n 1 | tr -d ' ')
  touch "$m/one" "$m/two"
  expect_eq "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" $((before + 2)) "df IUsed after two creates"
  s=$(pick "$m" -type f -size +1M)
  size=$(stat -c %s "$m/$s")
  before=$(df --output=used -B1 "$m" | tail -n 1)
  rm "$m/$s"
  after=$(df --output=used -B1 "$m" | tail -n 1)
  [ $((before - after)) -ge $((size - 4096)) ] ||
    fail "df used dropped by $((before - after)) after deleting $size synthetic bytes"
}

run_case "$@"
