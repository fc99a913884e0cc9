#!/usr/bin/env bash
# A shadow is a pure function of (profile, seed, size): the same bytes across a remount
# and across processes; another seed gives other bytes.
# Usage: determinism.sh CASE
source "$(dirname "$0")/lib.sh"

OPTS=seed=42,files=4000

case_remount_same_bytes() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  sample_files "$m" 150 >"$T/sample"
  hash_files "$m" "$T/sample" >"$T/before"
  (cd "$m" && find . -path ./.sfsg -prune -o -printf '%p %s %T@\n') >"$T/tree-before"
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS"
  hash_files "$m" "$T/sample" >"$T/after"
  (cd "$m" && find . -path ./.sfsg -prune -o -printf '%p %s %T@\n') >"$T/tree-after"
  cmp -s "$T/before" "$T/after" || fail "sha256 of sampled files changed across a remount"
  cmp -s "$T/tree-before" "$T/tree-after" || fail "names, sizes or mtimes changed across a remount"
  note "$(wc -l <"$T/after") files hashed identically across a remount"
}

# hash_sizable DIR LIST: hashes of the files in LIST bigger than 64 KiB (small files may
# legitimately coincide, e.g. two empty files).
hash_sizable() {
  (cd "$1" && xargs -d '\n' stat -c '%s %n' -- <"$2" |
    awk '$1 > 65536 { sub(/^[0-9]+ /, ""); print }' | xargs -d '\n' sha256sum -- | cut -d' ' -f1 | sort)
}

case_two_processes() {
  local a b c
  a=$(new_mountpoint ma)
  b=$(new_mountpoint mb)
  c=$(new_mountpoint mc)
  mount_shadow "$a" -o "$OPTS"
  mount_shadow "$b" -o "$OPTS"
  mount_shadow "$c" -o seed=43,files=4000
  local pa pb
  pa=$(daemon_pid "$a")
  pb=$(daemon_pid "$b")
  [ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" != "$pb" ] || fail "expected two daemons, got '$pa' '$pb'"
  sample_files "$a" 150 >"$T/sample"
  # Read concurrently from both processes.
  hash_files "$a" "$T/sample" >"$T/a" &
  local reader=$!
  hash_files "$b" "$T/sample" >"$T/b"
  wait "$reader" || fail "hashing under $a failed"
  cmp -s "$T/a" "$T/b" || fail "two processes with one seed serve different bytes"
  # Seed 43: another tree; its files hash differently from seed 42's.
  sample_files "$c" 150 >"$T/sample-c"
  cmp -s "$T/sample" "$T/sample-c" && fail "seed 43 sampled the same paths as seed 42"
  hash_sizable "$a" "$T/sample" >"$T/a-big"
  hash_sizable "$c" "$T/sample-c" >"$T/c-big"
  [ -s "$T/a-big" ] && [ -s "$T/c-big" ] || fail "no sampled file over 64 KiB"
  local common
  common=$(comm -12 "$T/a-big" "$T/c-big" | wc -l)
  expect_eq "$common" 0 "files over 64 KiB with equal hashes under seeds 42 and 43"
  note "$(wc -l <"$T/a") files equal across processes; $(wc -l <"$T/a-big") vs $(wc -l <"$T/c-big") large files, none alike"
}

run_case "$@"
