#!/usr/bin/env bash
# Real clients on a built-in shadow: find, du, stat, tar, cmp, sha256sum.
# Usage: clients.sh CASE   (one CTest entry per case)
source "$(dirname "$0")/lib.sh"

# The built-in shadow at its default size (about 110k entries).
case_find() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42
  cd "$m"
  find . -path ./.sfsg -prune -o -printf '%y\n' | sort | uniq -c >"$T/kinds"
  local dirs files links all
  dirs=$(awk '$2 == "d" { print $1 }' "$T/kinds")
  files=$(awk '$2 == "f" { print $1 }' "$T/kinds")
  links=$(awk '$2 == "l" { print $1 }' "$T/kinds")
  all=$(awk '{ n += $1 } END { print n }' "$T/kinds")
  note "find: $all entries ($dirs dirs, $files files, $links symlinks)"
  expect_eq "$dirs" "$(json_field .sfsg/status .dirs)" "directories found vs status"
  expect_eq "$files" "$(json_field .sfsg/status .files)" "files found vs status"
  expect_eq "$links" "$(json_field .sfsg/status .symlinks)" "symlinks found vs status"
  expect_eq "$(find .sfsg -type f | wc -l)" 6 "control files"
  # Symlinks resolve inside the tree.
  local dangling
  dangling=$(find . -path ./.sfsg -prune -o -xtype l -print | wc -l)
  expect_eq "$dangling" 0 "dangling symlinks"
  # A second walk sees the same tree (names served from the kernel cache or regenerated).
  expect_eq "$(find . -path ./.sfsg -prune -o -print | wc -l)" "$all" "second find"
}

case_du() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=3000,bytes=64M
  cd "$m"
  local file_bytes all_bytes du_bytes
  file_bytes=$(find . -path ./.sfsg -prune -o -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  all_bytes=$(find . -path ./.sfsg -prune -o -printf '%s\n' | awk '{ s += $1 } END { print s }')
  du_bytes=$(du -sb --exclude=./.sfsg . | cut -f1)
  note "du: $du_bytes bytes apparent, files $file_bytes"
  expect_eq "$file_bytes" "$(json_field .sfsg/status .bytes)" "file bytes vs status"
  expect_eq "$du_bytes" "$all_bytes" "du -sb vs the sizes find reports"
  # Block usage agrees with the apparent size (files are not sparse) to within rounding.
  local du_k
  du_k=$(du -sk --exclude=./.sfsg . | cut -f1)
  [ "$du_k" -ge $((du_bytes / 1024)) ] || fail "du -sk $du_k KiB below apparent $du_bytes bytes"
  # df reports the synthetic bytes as used.
  local used
  used=$(df -B1 --output=used . | tail -n 1 | tr -d ' ')
  [ "$used" -ge "$file_bytes" ] || fail "df used $used < file bytes $file_bytes"
}

# stat agrees with readdirplus, with a lookup, and across a remount.
case_stat() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=5000
  sample_files "$m" 300 >"$T/sample"
  unmount_shadow "$m"  # stat below looks each name up in a fresh mount
  mount_shadow "$m" -o seed=42,files=5000
  (cd "$m" && xargs -d '\n' stat -c '%n %i %s %a %h %Y' --) <"$T/sample" | sort >"$T/stat1"
  (cd "$m" && find . -path ./.sfsg -prune -o -printf '%p %i %s %m %n\n') >"$T/listed"
  expect_eq "$(wc -l <"$T/stat1")" 300 "stat lines"
  # Inode, size, mode and link count from stat (lookup + getattr) and from find's
  # listing (readdirplus) agree.
  awk 'NR == FNR { want[$1] = 1; next } ($1 in want)' "$T/sample" "$T/listed" | sort >"$T/from-find"
  cut -d' ' -f1-5 "$T/stat1" >"$T/from-stat"
  cmp -s "$T/from-find" "$T/from-stat" || {
    diff "$T/from-find" "$T/from-stat" | head >&2
    fail "stat disagrees with find's listing"
  }
  stat -c '%F' "$m" | grep -qx directory || fail "root is not a directory"
  expect_rc 1 "stat of a missing name" stat "$m/no-such-entry" 2>/dev/null
  unmount_shadow "$m"
  mount_shadow "$m" -o seed=42,files=5000
  (cd "$m" && xargs -d '\n' stat -c '%n %i %s %a %h %Y' --) <"$T/sample" | sort >"$T/stat2"
  cmp -s "$T/stat1" "$T/stat2" || fail "stat differs across a remount"
}

case_tar() {
  local m
  m=$(new_mountpoint m)
  # tar to /dev/null (GNU tar then stats every entry but reads no contents).
  mount_shadow "$m" -o seed=42,files=30000
  tar -C "$m" --exclude=./.sfsg --warning=no-timestamp -cf /dev/null . || fail "tar -c to /dev/null"
  unmount_shadow "$m"
  # A small tree through a real archive: the listing matches find, and the extracted
  # files hash like the mounted ones.
  mount_shadow "$m" -o seed=42,files=2000,bytes=16M
  local found listed
  found=$(cd "$m" && find . -path ./.sfsg -prune -o -print | wc -l)
  tar -C "$m" --exclude=./.sfsg --warning=no-timestamp -cf - . | tar -tf - >"$T/listing"
  listed=$(wc -l <"$T/listing")
  note "tar listed $listed entries, find $found"
  expect_eq "$listed" "$found" "tar listing vs find"
  mkdir "$T/x"
  tar -C "$m" --exclude=./.sfsg --warning=no-timestamp -cf - . |
    tar -C "$T/x" --warning=no-timestamp -xf -
  (cd "$m" && find . -path ./.sfsg -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) >"$T/m.sha"
  (cd "$T/x" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$T/x.sha"
  cmp -s "$T/m.sha" "$T/x.sha" || fail "extracted files differ from the mounted ones"
  (cd "$T/x" && find . -type l -printf '%p -> %l\n' | sort) >"$T/x.links"
  (cd "$m" && find . -path ./.sfsg -prune -o -type l -printf '%p -> %l\n' | sort) >"$T/m.links"
  cmp -s "$T/m.links" "$T/x.links" || fail "extracted symlinks differ"
}

# Timestamps of the built-in shadow are plausible: none before 1970, none in the future
# (tar warns about both; ages come from the profile's quantile tables).
case_timestamps() {
  local m now
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=20000
  now=$(date +%s)
  (cd "$m" && find . -path ./.sfsg -prune -o -printf '%T@ %A@ %C@ %p\n') >"$T/times"
  awk -v now="$now" '{ for (i = 1; i <= 3; ++i) if ($i < 0 || $i > now + 86400) { bad++; if (bad <= 5) print "implausible time " $i " on " $4 > "/dev/stderr" } }
    END { exit bad > 0 }' "$T/times" || fail "timestamps outside 1970..now"
}

# Reads of any alignment return the same bytes; two mounts with one seed agree.
case_cmp() {
  local a b
  a=$(new_mountpoint ma)
  b=$(new_mountpoint mb)
  mount_shadow "$a" -o seed=42,files=3000
  mount_shadow "$b" -o seed=42,files=3000
  (cd "$a" && find . -path ./.sfsg -prune -o -type f -size +200k -size -8M -print | awk "NR <= 20") >"$T/big"
  [ "$(wc -l <"$T/big")" -eq 20 ] || fail "fewer than 20 files of 200 KiB to 8 MiB"
  local f
  while IFS= read -r f; do
    cmp "$a/$f" "$b/$f" || fail "$f differs between two mounts with one seed"
    # Odd-sized reads (4097 bytes) and 1 MiB reads give the same stream.
    dd if="$a/$f" bs=4097 status=none | cmp - "$b/$f" || fail "$f: 4097-byte reads differ"
    dd if="$a/$f" bs=1M status=none | cmp - "$a/$f" || fail "$f: 1 MiB reads differ"
    # A read from the middle matches the same range of a full read.
    local size skip
    size=$(stat -c %s "$a/$f")
    skip=$((size / 3))
    cmp <(tail -c +$((skip + 1)) "$a/$f") <(cat "$b/$f" | tail -c +$((skip + 1))) ||
      fail "$f: reads from offset $skip differ"
  done <"$T/big"
  # Files are not all alike.
  local distinct
  distinct=$(cd "$a" && xargs -d '\n' sha256sum -- <"$T/big" | cut -d' ' -f1 | sort -u | wc -l)
  expect_eq "$distinct" 20 "distinct contents among 20 files"
}

case_sha256() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=3000
  sample_files "$m" 200 >"$T/sample"
  hash_files "$m" "$T/sample" >"$T/h1"
  hash_files "$m" "$T/sample" >"$T/h2"
  cmp -s "$T/h1" "$T/h2" || fail "sha256 differs between two reads in one mount"
  # Through the page cache (--kernel-cache) the bytes are the same.
  unmount_shadow "$m"
  mount_shadow "$m" --kernel-cache -o seed=42,files=3000
  hash_files "$m" "$T/sample" >"$T/h3"
  cmp -s "$T/h1" "$T/h3" || fail "sha256 differs with --kernel-cache"
  # Control files are not hashed as data; the sample covers many sizes.
  expect_eq "$(wc -l <"$T/h1")" 200 "hashed files"
}

run_case "$@"
