#!/usr/bin/env bash
# Writes through the overlay: whiteouts (unlink/rename of synthetic entries), ENOSPC at
# a memory and a dir limit, dir-mode persistence across a remount, discard semantics.
# Usage: overlay.sh CASE
source "$(dirname "$0")/lib.sh"

OPTS=seed=42,files=2000,bytes=24M

# listed NAME DIR: true when readdir of DIR lists NAME.
listed() { ls -A "$2" | grep -Fxq -- "$1"; }

# snapshot DIR: every entry with type, size, mode, links, mtime, link target, and the
# sha256 of every regular file: what a remount must reproduce.
snapshot() {
  (cd "$1" && find . -path ./.sfsg -prune -o -printf '%p %y %s %m %n %T@ %l\n' | sort &&
    find . -path ./.sfsg -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

# pick DIR PREDICATE...: the first synthetic entry matching find PREDICATE (not /.sfsg).
pick() {
  local dir=$1
  shift
  (cd "$dir" && find . -path ./.sfsg -prune -o "$@" -print | awk 'NR == 1')
}

# Deletes and renames synthetic entries under $1, recording what it did in $T/ops and
# the expected content of moved files in $T/expect.sha; check_mutations verifies.
mutate_tree() {
  local m=$1 f1 f2 f3 f4 d d2 total subtree
  f1=$(pick "$m" -type f -size +8k)
  f2=$(pick "$m" -type f -size +8k ! -path "$f1")
  f3=$(pick "$m" -type f ! -path "$f1" ! -path "$f2" -size +1k)
  f4=$(pick "$m" -type f ! -path "$f1" ! -path "$f2" ! -path "$f3")
  # Two directories with small subtrees (5 to 50 entries), not holding f1..f4 nor each
  # other: count each directory's descendants from one listing.
  local candidates
  candidates=$(cd "$m" && find . -mindepth 1 -path ./.sfsg -prune -o -printf '%y %p\n' |
    awk -v keep="$f1 $f2 $f3 $f4" '
      { path = substr($0, 3); kind[path] = $1; order[NR] = path
        for (p = path; (i = match(p, /\/[^\/]*$/)) > 0;) { p = substr(p, 1, i - 1); n[p]++ } }
      END { for (k = 1; k <= NR; ++k) { x = order[k]
              if (kind[x] != "d" || index(keep " ", x "/") > 0) continue
              if (n[x] + 1 >= 5 && n[x] + 1 <= 50) print x } }')
  d=$(sed -n 1p <<<"$candidates")
  d2=$(awk -v d="$d" 'index($0 "/", d "/") != 1 && index(d "/", $0 "/") != 1' <<<"$candidates" | sed -n 1p)
  [ -n "$f1" ] && [ -n "$f2" ] && [ -n "$f3" ] && [ -n "$f4" ] && [ -n "$d" ] && [ -n "$d2" ] ||
    fail "could not pick synthetic entries ($f1|$f2|$f3|$f4|$d|$d2)"
  # A moved directory keeps its whole subtree, names and bytes.
  (cd "$m/$d2" && find . -printf '%p %y %s\n' | sort &&
    find . -type f -print0 | sort -z | xargs -0 -r sha256sum) >"$T/d2.before"
  total=$(cd "$m" && find . -path ./.sfsg -prune -o -print | wc -l)
  subtree=$(cd "$m" && find "$d" | wc -l)
  (cd "$m" && sha256sum "$f2" "$f3") | awk '{ print $1 }' >"$T/moved.sha"
  printf '%s\n' "$f1" "$f2" "$f3" "$f4" "$d" "$total" "$subtree" "$d2" >"$T/ops"
  cd "$m"
  rm "$f1" || fail "rm $f1"
  mv "$f2" ./moved-f2 || fail "mv $f2"
  mv -f "$f3" "$f4" || fail "mv $f3 over $f4"
  rmdir "$d" 2>/dev/null && fail "rmdir of non-empty $d succeeded"
  rm -r "$d" || fail "rm -r $d"
  mv "$d2" ./moved-dir || fail "mv $d2"
  # The name of a deleted synthetic file can be reused.
  echo "new content" >"$f1" || fail "recreate $f1"
  cd /
}

check_mutations() {
  local m=$1 f1 f2 f3 f4 d total subtree d2
  {
    read -r f1
    read -r f2
    read -r f3
    read -r f4
    read -r d
    read -r total
    read -r subtree
    read -r d2
  } <"$T/ops"
  cd "$m"
  # Deleted and renamed-away names: gone from readdir and from lookup.
  for gone in "$f2" "$f3" "$d" "$d2"; do
    [ -e "$gone" ] && fail "$gone still answers a lookup"
    listed "$(basename "$gone")" "$(dirname "$gone")" && fail "$gone still listed"
  done
  # Renamed files keep their content; the replaced target now has f3's.
  expect_eq "$(sha256sum moved-f2 | cut -d' ' -f1)" "$(sed -n 1p "$T/moved.sha")" "content of moved-f2"
  expect_eq "$(sha256sum "$f4" | cut -d' ' -f1)" "$(sed -n 2p "$T/moved.sha")" "content of $f4"
  listed moved-f2 . || fail "moved-f2 not listed"
  (cd moved-dir && find . -printf '%p %y %s\n' | sort &&
    find . -type f -print0 | sort -z | xargs -0 -r sha256sum) >"$T/d2.after"
  cmp -s "$T/d2.before" "$T/d2.after" || fail "the subtree of $d2 changed when moved to moved-dir"
  # The recreated name is a new file, listed once.
  expect_eq "$(cat "$f1")" "new content" "content of recreated $f1"
  expect_eq "$(ls -A "$(dirname "$f1")" | grep -Fxc -- "$(basename "$f1")")" 1 "listings of $f1"
  # No directory lists a name twice.
  local dups
  dups=$(find . -path ./.sfsg -prune -o -print | sort | uniq -d)
  [ -z "$dups" ] || fail "names listed twice: $dups"
  # Entry count: -f1 +f1, -f2 +moved-f2, -f3 (f4 replaced), -subtree (d2 moved whole).
  expect_eq "$(find . -path ./.sfsg -prune -o -print | wc -l)" $((total - 1 - subtree)) \
    "entries after the changes"
  cd /
}

case_whiteouts() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  mutate_tree "$m"
  check_mutations "$m"
  # Deleting the parent of a whiteout works once it is empty.
  local f1
  f1=$(sed -n 1p "$T/ops")
  rm "$m/$f1"
  [ -e "$m/$f1" ] && fail "$f1 answers a lookup after its second deletion"
  true
}

case_whiteouts_dir_remount() {
  local m o
  m=$(new_mountpoint m)
  o=$(new_mountpoint overlay)
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  mutate_tree "$m"
  check_mutations "$m"
  snapshot "$m" >"$T/before"
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  check_mutations "$m"
  snapshot "$m" >"$T/after"
  cmp -s "$T/before" "$T/after" || {
    diff "$T/before" "$T/after" | head >&2
    fail "the tree differs after a remount"
  }
}

# fill_until_full MNT SRC: writes SRC (bigger than the limit) to MNT/big; it must fail
# with ENOSPC and keep the acknowledged prefix.
fill_until_full() {
  local m=$1 src=$2 err
  err=$(dd if="$src" of="$m/big" bs=64k status=none 2>&1) && fail "writing past the limit succeeded"
  case "$err" in *"No space left on device"*) ;; *) fail "expected ENOSPC, got: $err" ;; esac
  local kept
  kept=$(stat -c %s "$m/big")
  [ "$kept" -gt 0 ] || fail "nothing of big was kept"
  cmp -n "$kept" "$m/big" "$src" || fail "the acknowledged part of big is corrupt"
  note "ENOSPC after $kept bytes"
}

# The shared body of the ENOSPC cases; $1 mountpoint, then sfsg-mount options.
enospc_case() {
  local m=$1
  shift
  head -c 262144 /dev/urandom >"$T/small"
  head -c 4194304 /dev/urandom >"$T/large"
  mount_shadow "$m" "$@"
  local synth synth_size other other_sha
  synth=$(pick "$m" -type f -size +256k)
  synth_size=$(stat -c %s "$m/$synth")
  other=$(pick "$m" -type f -size +64k ! -path "$synth")
  other_sha=$(sha256sum <"$m/$other")
  cp "$T/small" "$m/small" || fail "writing 256 KiB under a 1 MiB limit"
  dd if="$T/large" of="$m/$synth" bs=64k count=1 conv=notrunc status=none ||
    fail "overwriting 64 KiB of a synthetic file under the limit"
  fill_until_full "$m" "$T/large"
  # Earlier data intact, the mount alive, usage within the limit.
  cmp "$T/small" "$m/small" || fail "earlier file corrupted by ENOSPC"
  cmp -n 65536 "$T/large" "$m/$synth" || fail "earlier overwrite of $synth lost"
  expect_eq "$(sha256sum <"$m/$other")" "$other_sha" "unmodified synthetic file"
  valid_json "$m/.sfsg/status" || fail "status unreadable after ENOSPC"
  local used limit
  used=$(json_field "$m/.sfsg/status" .overlay.bytes_used)
  limit=$(json_field "$m/.sfsg/status" .overlay.limit_bytes)
  [ "$used" -le "$limit" ] || fail "overlay uses $used > limit $limit"
  # Overwriting more of a synthetic file meets the limit and changes nothing.
  dd if="$T/large" of="$m/$synth" bs=64k seek=1 count=2 conv=notrunc status=none 2>/dev/null &&
    fail "overwriting a synthetic file past the limit succeeded"
  cmp -n 65536 "$T/large" "$m/$synth" || fail "earlier overwrite of $synth lost after ENOSPC"
  expect_eq "$(stat -c %s "$m/$synth")" "$synth_size" "size of $synth after ENOSPC"
  # Deleting frees space.
  rm "$m/big"
  cp "$T/small" "$m/small2" || fail "no space after deleting big"
  cmp "$T/small" "$m/small2" || fail "small2 corrupt"
}

case_enospc_memory() {
  enospc_case "$(new_mountpoint m)" -o "$OPTS,writes=memory:1M"
}

case_enospc_dir() {
  local m o
  m=$(new_mountpoint m)
  o=$(new_mountpoint overlay)
  enospc_case "$m" -o "$OPTS,writes=dir:$o:1M"
  snapshot "$m" >"$T/before"
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS,writes=dir:$o:1M"
  snapshot "$m" >"$T/after"
  cmp -s "$T/before" "$T/after" || fail "the overlay differs after a remount"
  cmp "$T/small" "$m/small" || fail "small lost across the remount"
}

case_enospc_create_dir() {
  # A dir overlay on a full disk (a 1 MiB tmpfs): a create whose journal line cannot be
  # written fails with ENOSPC and leaves no entry behind.
  [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
  local m fs
  m=$(new_mountpoint m)
  fs=$(new_mountpoint small-fs)
  mount -t tmpfs -o size=1M tmpfs "$fs" || skip "cannot mount a tmpfs"
  mkdir "$fs/o"
  mount_shadow "$m" -o "$OPTS,writes=dir:$fs/o"
  MOUNTS+=("$fs")  # after the shadow: unmounted once the daemon is gone
  head -c 2M /dev/urandom >"$m/big" 2>/dev/null && fail "2 MiB fit on a 1 MiB tmpfs"
  local i failed=0
  for i in 1 2 3 4 5 6 7 8; do
    # Create only (no write), so a failure is the create's, not a later write's.
    : >"$m/after$i.txt" 2>/dev/null || failed=$((failed + 1))
  done
  [ "$failed" -gt 0 ] || fail "no create failed on a full disk"
  local listed_count
  listed_count=$(ls "$m" | grep -c '^after' || true)
  expect_eq "$listed_count" "$((8 - failed))" "after*.txt listed (only the creates that succeeded)"
  unmount_shadow "$m"
  umount "$fs" 2>/dev/null || umount -l "$fs"
}

case_dir_persistence() {
  local m o
  m=$(new_mountpoint m)
  o=$(new_mountpoint overlay)
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  head -c 300000 /dev/urandom >"$T/data"
  local s1 s2 s3
  s1=$(pick "$m" -type f -size +64k)
  s2=$(pick "$m" -type f -size +64k ! -path "$s1")
  s3=$(pick "$m" -type f -size +16k ! -path "$s1" ! -path "$s2")
  cd "$m"
  cp "$T/data" new-file
  mkdir -p newdir/sub
  cp "$T/data" newdir/sub/copy
  ln -s ../new-file newdir/link
  ln new-file hardlink
  # Into the middle of a synthetic file, unaligned; then a shrink and a growth.
  dd if="$T/data" of="$s1" bs=1000 seek=7 count=20 conv=notrunc status=none
  truncate -s 10000 "$s2"
  truncate -s +100000 "$s3"
  chmod 600 "$s3"
  touch -d '2020-02-02 02:02:02' new-file
  sync new-file "$s1"
  cd /
  snapshot "$m" >"$T/before"
  unmount_shadow "$m"
  [ -s "$o/journal.jsonl" ] || fail "no journal in $o"
  # Another seed does not get this overlay.
  mkdir -p "$T/other"
  local err rc=0
  err=$("$SFSG_MOUNT" -o seed=7,files=3000,bytes=64M,writes=dir:"$o" "$T/other" 2>&1) || rc=$?
  MOUNTS+=("$T/other")
  [ "$rc" -eq 3 ] || fail "another seed: exit $rc, want 3 (overlay unusable for this shadow)"
  is_mounted "$T/other" && fail "a refused mount was left behind"
  note "other seed refused (exit $rc): $err"
  mount_shadow "$m" -o "$OPTS,writes=dir:$o"
  snapshot "$m" >"$T/after"
  cmp -s "$T/before" "$T/after" || {
    diff "$T/before" "$T/after" | head >&2
    fail "the tree differs after a remount"
  }
  cmp "$T/data" "$m/newdir/sub/copy" || fail "newdir/sub/copy lost"
  expect_eq "$(stat -c %h "$m/new-file")" 2 "links of new-file"
  expect_eq "$(stat -c %Y "$m/new-file")" "$(date -d '2020-02-02 02:02:02' +%s)" "mtime of new-file"
  expect_eq "$(stat -c %a "$m/$s3")" 600 "mode of $s3"
  cmp -n 20000 <(tail -c +7001 "$m/$s1") "$T/data" || fail "write into $s1 lost"
}

case_discard() {
  local m ref
  m=$(new_mountpoint m)
  ref=$(new_mountpoint ref)
  mount_shadow "$m" -o "$OPTS,writes=discard"
  mount_shadow "$ref" -o "$OPTS"
  head -c 102400 /dev/urandom >"$T/data"
  # A new file keeps its size; its bytes read back as zeros.
  cp "$T/data" "$m/new"
  expect_eq "$(stat -c %s "$m/new")" 102400 "size of a discarded new file"
  cmp "$m/new" <(head -c 102400 /dev/zero) || fail "a new file in discard mode is not zeros"
  # Overwriting synthetic content keeps the synthetic bytes.
  local s size
  s=$(pick "$m" -type f -size +64k)
  size=$(stat -c %s "$m/$s")
  dd if="$T/data" of="$m/$s" bs=4096 seek=1 count=2 conv=notrunc status=none
  cmp "$m/$s" "$ref/$s" || fail "overwritten synthetic range does not read as synthetic"
  expect_eq "$(stat -c %s "$m/$s")" "$size" "size after an overwrite"
  # Growth: the old range stays synthetic, the new one reads as zeros.
  dd if="$T/data" of="$m/$s" bs=4096 seek=$(((size + 4095) / 4096)) count=1 conv=notrunc status=none
  local grown=$((((size + 4095) / 4096 + 1) * 4096))
  expect_eq "$(stat -c %s "$m/$s")" "$grown" "size after growth"
  cmp -n "$size" "$m/$s" "$ref/$s" || fail "synthetic range changed by growth"
  cmp <(tail -c +$((size + 1)) "$m/$s") <(head -c $((grown - size)) /dev/zero) ||
    fail "the grown range does not read as zeros"
  # Shrink and regrow: the cut range reads as zeros.
  truncate -s 1000 "$m/$s"
  truncate -s 8192 "$m/$s"
  cmp -n 1000 "$m/$s" "$ref/$s" || fail "kept range changed by truncate"
  cmp <(tail -c +1001 "$m/$s") <(head -c 7192 /dev/zero) || fail "truncated range not zeros"
  # Metadata is kept; bytes are metered, not stored.
  chmod 640 "$m/new"
  expect_eq "$(stat -c %a "$m/new")" 640 "mode in discard mode"
  expect_eq "$(json_field "$m/.sfsg/status" .overlay.kind)" discard "overlay kind"
  expect_eq "$(json_field "$m/.sfsg/status" .overlay.bytes_used)" 0 "overlay bytes in discard mode"
  [ "$(json_field "$m/.sfsg/status" .bytes_written)" -ge $((102400 + 8192 + 4096)) ] ||
    fail "written bytes not metered"
}

# readdir_count MNT: readdir requests the shadow has served so far.
readdir_count() {
  awk '$1 == "sfsg_operations_total{op=\"readdir\"}" { print $2 }' "$1/.sfsg/metrics"
}

# A listing read to its end is kept by the kernel (cache_readdir): the next listing of
# the unchanged directory costs the shadow no readdir request, and every kind of change
# made through the mount shows in the next listing. With --timeout 0 nothing is kept.
case_listing_cache() {
  local m d other
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS"
  # A directory with files in it, and one neither above nor below it.
  d=$(dirname "$(pick "$m" -type f -path './*/*')")
  other=$(cd "$m" && find . -path ./.sfsg -prune -o -type d ! -path . -print |
    awk -v d="$d" 'index(d "/", $0 "/") != 1 && index($0 "/", d "/") != 1' | awk 'NR == 1')
  [ "$d" != . ] && [ -n "$other" ] || fail "no two directories to list ($d, $other)"
  ls -A "$m/$d" >"$T/first"
  local served
  served=$(readdir_count "$m")
  ls -A "$m/$d" >"$T/second"
  cmp -s "$T/first" "$T/second" || fail "a second listing of $d differs from the first"
  expect_eq "$(readdir_count "$m")" "$served" "readdir requests for a second, cached listing"
  # Each change below follows a listing that the kernel now keeps.
  local victim
  victim=$(ls -A "$m/$d" | grep -v '^\.' | awk 'NR == 1')
  [ -n "$victim" ] || fail "$d is empty"
  touch "$m/$d/created"
  listed created "$m/$d" || fail "a created file is not listed after a cached listing"
  mkdir "$m/$d/made-dir"
  listed made-dir "$m/$d" || fail "a new directory is not listed"
  ln -s created "$m/$d/a-link"
  listed a-link "$m/$d" || fail "a new symlink is not listed"
  mkfifo "$m/$d/a-fifo"
  listed a-fifo "$m/$d" || fail "a new FIFO is not listed"
  ls -A "$m/$other" >/dev/null
  ln "$m/$d/created" "$m/$other/hard-link"
  listed hard-link "$m/$other" || fail "a new hard link is not listed"
  mv "$m/$d/created" "$m/$other/moved-here"
  listed created "$m/$d" && fail "a file renamed away is still listed in its old directory"
  listed moved-here "$m/$other" || fail "a renamed file is not listed in its new directory"
  rm -r "$m/$d/$victim"
  listed "$victim" "$m/$d" && fail "a removed synthetic entry is still listed"
  rmdir "$m/$d/made-dir"
  listed made-dir "$m/$d" && fail "a removed directory is still listed"
  unmount_shadow "$m"
  # No kernel caching asked for: every listing reaches the shadow.
  mount_shadow "$m" -o "$OPTS,timeout=0"
  ls -A "$m/$d" >/dev/null
  served=$(readdir_count "$m")
  ls -A "$m/$d" >/dev/null
  [ "$(readdir_count "$m")" -gt "$served" ] || fail "--timeout 0: a second listing was cached"
}

run_case "$@"
