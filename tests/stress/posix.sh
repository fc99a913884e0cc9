#!/usr/bin/env bash
# POSIX semantics of the overlay, as root and as other users, in memory and dir modes:
# ownership from the caller, setgid inheritance, permission checks, sticky-bit rules,
# ENAMETOOLONG, absurd truncates, renameat2 flags, link counts, timestamps, O_EXCL,
# O_APPEND, O_TRUNC, read-only control files, a private default mount, and a mount
# made by an unprivileged user.
# Usage: posix.sh BUILD_DIR [MODE...]
#   MODE: memory | dir | discard (the overlay tests), access (private default mount and
#   an unprivileged user's mount); default: all four.
# Needs root (it switches users with setpriv); exits 77 (skipped) otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stress_init "${1:?usage: posix.sh BUILD_DIR [MODE...]}"
shift
MODES=("$@")
[ ${#MODES[@]} -eq 0 ] && MODES=(memory dir discard access)
[ "$(id -u)" -eq 0 ] || { echo "posix.sh: needs root: skipped" >&2; exit 77; }

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
OTHER=(setpriv --reuid=65533 --regid=65533 --clear-groups)
USERS_MEMBER=(setpriv --reuid=65532 --regid=65532 --groups=100)
as_root() { "$PROBE" "$@"; }
# mkdir_mode PATH MODE: a directory with exactly MODE (mkdir alone is subject to umask).
mkdir_mode() { "$PROBE" mkdir "$1" "$2" >/dev/null; "$PROBE" chmod "$1" "$2" >/dev/null; }
as_nobody() { "${NOBODY[@]}" "$PROBE" "$@"; }
as_other() { "${OTHER[@]}" "$PROBE" "$@"; }
# expect_data: a check of file bytes, which discard mode does not keep (by design).
expect_data() { [ "$MODE" = discard ] || expect "$@"; }
# content FILE: the bytes of FILE without NULs (bash cannot hold them).
content() { tr -d '\0' <"$1"; }
tick() { sleep 0.02; }  # timestamps have nanosecond resolution; make them differ

ownership() {
  local t=$1
  mkdir_mode "$t/own" 0777
  expect "root create" OK "$(as_root open "$t/own/root_file" w,creat 0644)"
  local s
  s=$(as_root stat "$t/own/root_file")
  expect "root file uid" 0 "$(field uid "$s")"
  expect "root file gid" 0 "$(field gid "$s")"
  expect "nobody create" OK "$(as_nobody open "$t/own/nobody_file" w,creat 0644)"
  s=$(as_root stat "$t/own/nobody_file")
  expect "nobody file uid" 65534 "$(field uid "$s")"
  expect "nobody file gid" 65534 "$(field gid "$s")"
  expect "nobody mkdir" OK "$(as_nobody mkdir "$t/own/nobody_dir" 0755)"
  s=$(as_root stat "$t/own/nobody_dir")
  expect "nobody dir owner" "65534:65534" "$(field uid "$s"):$(field gid "$s")"
  expect "nobody symlink" OK "$(as_nobody symlink target "$t/own/nobody_link")"
  s=$(as_root stat "$t/own/nobody_link")
  expect "nobody symlink owner" "65534:65534" "$(field uid "$s"):$(field gid "$s")"
  # The group comes from the request's gid, not the caller's uid.
  expect "uid 65532 gid 100 create" OK \
    "$(setpriv --reuid=65532 --regid=100 --clear-groups "$PROBE" open "$t/own/g100" w,creat)"
  s=$(as_root stat "$t/own/g100")
  expect "create with gid 100" "65532:100" "$(field uid "$s"):$(field gid "$s")"
  # umask is applied by the kernel before the request: mode 0666 with umask 027 -> 0640.
  (umask 027 && as_root open "$t/own/umask" w,creat 0666 >/dev/null)
  expect "umask applied" 100640 "$(field mode "$(as_root stat "$t/own/umask")")"
}

setgid_dirs() {
  local t=$1 s
  mkdir_mode "$t/sg" 0777
  as_root chown "$t/sg" 0 100 >/dev/null
  expect "chmod 2777" OK "$(as_root chmod "$t/sg" 2777)"
  expect "setgid bit kept" 42777 "$(field mode "$(as_root stat "$t/sg")")"
  expect "create in setgid dir" OK "$(as_nobody open "$t/sg/file" w,creat 0644)"
  s=$(as_root stat "$t/sg/file")
  expect "file inherits group" "65534:100" "$(field uid "$s"):$(field gid "$s")"
  expect "mkdir in setgid dir" OK "$(as_nobody mkdir "$t/sg/sub" 0755)"
  s=$(as_root stat "$t/sg/sub")
  expect "subdir inherits group" 100 "$(field gid "$s")"
  expect "subdir stays setgid" 42755 "$(field mode "$s")"
  expect "nested create" OK "$(as_root open "$t/sg/sub/deeper" w,creat 0644)"
  expect "nested inherits group" 100 "$(field gid "$(as_root stat "$t/sg/sub/deeper")")"
  # A non-member may not keep S_ISGID on a file of a group it is not in.
  expect "non-member setgid create" OK "$(as_nobody open "$t/sg/sgfile" w,creat 2755)"
  expect "non-member loses S_ISGID" 100755 "$(field mode "$(as_root stat "$t/sg/sgfile")")"
  expect "member setgid create" OK "$("${USERS_MEMBER[@]}" "$PROBE" open "$t/sg/member" w,creat 2755)"
  expect "member keeps S_ISGID" 102755 "$(field mode "$(as_root stat "$t/sg/member")")"
}

permissions() {
  local t=$1
  mkdir_mode "$t/perm" 0755
  as_root write "$t/perm/private" w,creat secret 0600 >/dev/null
  as_root chmod "$t/perm/private" 0600 >/dev/null
  as_root write "$t/perm/public" w,creat hello 0644 >/dev/null
  as_root chmod "$t/perm/public" 0644 >/dev/null
  expect "other reads 0600" EACCES "$(as_nobody open "$t/perm/private" r)"
  expect "other reads 0644" OK "$(as_nobody open "$t/perm/public" r)"
  expect "other writes 0644" EACCES "$(as_nobody open "$t/perm/public" w)"
  expect "other truncates 0644" EACCES "$(as_nobody truncate "$t/perm/public" 0)"
  expect "other creates in 0755" EACCES "$(as_nobody open "$t/perm/new" w,creat)"
  expect "other mkdir in 0755" EACCES "$(as_nobody mkdir "$t/perm/newdir" 0755)"
  expect "other unlinks in 0755" EACCES "$(as_nobody unlink "$t/perm/public")"
  expect "other renames in 0755" EACCES "$(as_nobody rename2 "$t/perm/public" "$t/perm/x" none)"
  expect "other chmods" EPERM "$(as_nobody chmod "$t/perm/public" 0777)"
  expect "other chowns" EPERM "$(as_nobody chown "$t/perm/public" 65534 65534)"
  expect "other utimens" EACCES "$(as_nobody utimens "$t/perm/public")"
  mkdir_mode "$t/perm/closed" 0700
  as_root open "$t/perm/closed/inner" w,creat >/dev/null
  expect "other traverses 0700" EACCES "$(as_nobody stat "$t/perm/closed/inner")"
  # The owner of a file may chmod it; giving it away needs root.
  mkdir_mode "$t/perm/open" 0777
  as_nobody open "$t/perm/open/mine" w,creat 0600 >/dev/null
  expect "owner chmods" OK "$(as_nobody chmod "$t/perm/open/mine" 0640)"
  expect "owner gives away" EPERM "$(as_nobody chown "$t/perm/open/mine" 0 0)"
  expect "root reads 0600" OK "$(as_root open "$t/perm/open/mine" r)"
  expect "owner writes 0400 denied" OK "$(as_nobody chmod "$t/perm/open/mine" 0400)"
  expect "owner opens 0400 for write" EACCES "$(as_nobody open "$t/perm/open/mine" w)"
}

sticky() {
  local t=$1
  mkdir_mode "$t/tmpdir" 0777
  expect "chmod 1777" OK "$(as_root chmod "$t/tmpdir" 1777)"
  as_nobody write "$t/tmpdir/a" w,creat data >/dev/null
  as_nobody write "$t/tmpdir/b" w,creat data >/dev/null
  as_other write "$t/tmpdir/c" w,creat data >/dev/null
  expect "sticky: other unlinks" EPERM "$(as_other unlink "$t/tmpdir/a")"
  expect "sticky: other renames away" EPERM "$(as_other rename2 "$t/tmpdir/a" "$t/tmpdir/z" none)"
  expect "sticky: other renames over" EPERM "$(as_other rename2 "$t/tmpdir/c" "$t/tmpdir/a" none)"
  expect "sticky: still there" OK "$(as_root open "$t/tmpdir/a" r)"
  expect "sticky: owner renames" OK "$(as_nobody rename2 "$t/tmpdir/b" "$t/tmpdir/b2" none)"
  expect "sticky: owner unlinks" OK "$(as_nobody unlink "$t/tmpdir/b2")"
  expect "sticky: dir owner unlinks" OK "$(as_root unlink "$t/tmpdir/c")"
  expect "sticky: root unlinks" OK "$(as_root unlink "$t/tmpdir/a")"
  expect "sticky: other creates" OK "$(as_other open "$t/tmpdir/d" w,creat)"
}

name_limits() {
  local t=$1 n255 n256 deep
  n255=$(printf 'n%.0s' $(seq 255))
  n256=$(printf 'n%.0s' $(seq 256))
  mkdir_mode "$t/names" 0755
  expect "255-byte name" OK "$(as_root open "$t/names/$n255" w,creat)"
  expect "255-byte name stat" 0 "$(field uid "$(as_root stat "$t/names/$n255")")"
  expect "256-byte create" ENAMETOOLONG "$(as_root open "$t/names/$n256" w,creat)"
  expect "256-byte lookup" ENAMETOOLONG "$(as_root stat "$t/names/$n256")"
  expect "256-byte mkdir" ENAMETOOLONG "$(as_root mkdir "$t/names/$n256" 0755)"
  expect "256-byte symlink" ENAMETOOLONG "$(as_root symlink x "$t/names/$n256")"
  expect "256-byte link" ENAMETOOLONG "$(as_root link "$t/names/$n255" "$t/names/$n256")"
  expect "256-byte rename" ENAMETOOLONG \
    "$(as_root rename2 "$t/names/$n255" "$t/names/$n256" none)"
  expect "256-byte name absent" ENOENT "$(as_root stat "$t/names/${n256:0:200}")"
  deep=$t/names$(printf "/$n255%.0s" $(seq 17))
  expect "path over PATH_MAX" ENAMETOOLONG "$(as_root open "$deep" w,creat)"
  expect "4096-byte symlink target" ENAMETOOLONG \
    "$(as_root symlink "$(printf 'x%.0s' $(seq 4096))" "$t/names/longlink")"
}

absurd_truncate() {
  local t=$1 pid=$2 before after result
  as_root write "$t/huge" w,creat start >/dev/null
  before=$(proc_figures "$pid" | cut -d' ' -f1)
  for size in 4611686018427387904 9223372036854775807 1152921504606846977; do
    result=$(timeout 10 "$PROBE" truncate "$t/huge" $size || echo TIMEOUT)
    expect "truncate to $size" "EFBIG|EINVAL" "$result"
    result=$(timeout 10 "$PROBE" ftruncate "$t/huge" $size || echo TIMEOUT)
    expect "ftruncate to $size" "EFBIG|EINVAL" "$result"
  done
  expect "truncate to -1" EINVAL "$(as_root truncate "$t/huge" -1)"
  # Large but legal: sparse, no allocation; the tail reads as zeros.
  expect "truncate to 1 PiB" OK "$(timeout 10 "$PROBE" truncate "$t/huge" 1125899906842624)"
  expect "1 PiB size" 1125899906842624 "$(field size "$(as_root stat "$t/huge")")"
  expect_data "1 PiB tail reads zeros" 0000000000000000 \
    "$(timeout 10 dd if="$t/huge" bs=4096 skip=274877906942 count=1 status=none | head -c 8 | od -An -tx1 | tr -d ' \n')"
  expect_data "head kept" start "$(head -c 5 "$t/huge" | tr -d '\0')"
  expect "truncate back" OK "$(as_root truncate "$t/huge" 5)"
  after=$(proc_figures "$pid" | cut -d' ' -f1)
  expect "no allocation for absurd sizes (RSS KiB growth < 16 MiB)" 1 \
    "$(( after - before < 16384 ))"
}

renameat2_flags() {
  local t=$1
  mkdir_mode "$t/rn" 0755
  as_root write "$t/rn/a" w,creat AAA >/dev/null
  as_root write "$t/rn/b" w,creat BBB >/dev/null
  mkdir_mode "$t/rn/d" 0755
  as_root write "$t/rn/d/inner" w,creat III >/dev/null
  expect "noreplace onto existing" EEXIST "$(as_root rename2 "$t/rn/a" "$t/rn/b" noreplace)"
  expect_data "noreplace left source" AAA "$(content "$t/rn/a")"
  expect "noreplace to new name" OK "$(as_root rename2 "$t/rn/a" "$t/rn/a2" noreplace)"
  expect_data "noreplace moved" "ENOENT AAA" "$(as_root stat "$t/rn/a") $(content "$t/rn/a2")"
  expect "exchange files" OK "$(as_root rename2 "$t/rn/a2" "$t/rn/b" exchange)"
  expect_data "exchanged contents" "BBB AAA" "$(content "$t/rn/a2") $(content "$t/rn/b")"
  expect "exchange with missing" ENOENT "$(as_root rename2 "$t/rn/a2" "$t/rn/missing" exchange)"
  expect "exchange file and dir" OK "$(as_root rename2 "$t/rn/a2" "$t/rn/d" exchange)"
  expect_data "dir now at a2" III "$(content "$t/rn/a2/inner")"
  expect_data "file now at d" BBB "$(content "$t/rn/d")"
  mkdir_mode "$t/rn/other" 0755
  local links_rn links_other
  links_rn=$(field nlink "$(as_root stat "$t/rn")")
  links_other=$(field nlink "$(as_root stat "$t/rn/other")")
  expect "exchange dir across parents" OK "$(as_root rename2 "$t/rn/a2" "$t/rn/other/d" none)"
  expect "parent link count down" $((links_rn - 1)) "$(field nlink "$(as_root stat "$t/rn")")"
  expect "new parent link count up" $((links_other + 1)) \
    "$(field nlink "$(as_root stat "$t/rn/other")")"
  expect "noreplace+exchange" EINVAL "$(as_root rename2 "$t/rn/b" "$t/rn/d" noreplace+exchange)"
  expect "whiteout flag" "EINVAL|EPERM" "$(as_root rename2 "$t/rn/b" "$t/rn/w" whiteout)"
  expect "dir into itself" EINVAL "$(as_root rename2 "$t/rn/other" "$t/rn/other/d/x" none)"
  expect "dir over file" ENOTDIR "$(as_root rename2 "$t/rn/other" "$t/rn/b" none)"
  expect "file over dir" EISDIR "$(as_root rename2 "$t/rn/b" "$t/rn/other" none)"
  mkdir_mode "$t/rn/full" 0755
  as_root open "$t/rn/full/x" w,creat >/dev/null
  mkdir_mode "$t/rn/empty" 0755
  expect "dir over non-empty dir" "ENOTEMPTY|EEXIST" \
    "$(as_root rename2 "$t/rn/empty" "$t/rn/full" none)"
  expect "dir over empty dir" OK "$(as_root rename2 "$t/rn/full" "$t/rn/empty" none)"
  expect "replaced dir content" OK "$(as_root open "$t/rn/empty/x" r)"
}

link_counts() {
  local t=$1
  mkdir_mode "$t/ln" 0755
  expect "new dir nlink" 2 "$(field nlink "$(as_root stat "$t/ln")")"
  as_root write "$t/ln/f" w,creat data >/dev/null
  expect "new file nlink" 1 "$(field nlink "$(as_root stat "$t/ln/f")")"
  expect "link" OK "$(as_root link "$t/ln/f" "$t/ln/g")"
  expect "link onto existing" EEXIST "$(as_root link "$t/ln/f" "$t/ln/g")"
  expect "nlink after link" "2 2" \
    "$(field nlink "$(as_root stat "$t/ln/f")") $(field nlink "$(as_root stat "$t/ln/g")")"
  expect "same inode" "$(field ino "$(as_root stat "$t/ln/f")")" \
    "$(field ino "$(as_root stat "$t/ln/g")")"
  expect "link a directory" EPERM "$(as_root link "$t/ln" "$t/ln2")"
  as_root write "$t/ln/g" w,append more >/dev/null
  expect_data "write seen through both names" datamore "$(content "$t/ln/f")"
  expect "unlink one name" OK "$(as_root unlink "$t/ln/f")"
  expect "nlink after unlink" 1 "$(field nlink "$(as_root stat "$t/ln/g")")"
  expect "second link" OK "$(as_root link "$t/ln/g" "$t/ln/h")"
  expect "rename link onto link" OK "$(as_root rename2 "$t/ln/g" "$t/ln/h" none)"
  expect "both names stay" "2 2" \
    "$(field nlink "$(as_root stat "$t/ln/g")") $(field nlink "$(as_root stat "$t/ln/h")")"
  mkdir_mode "$t/ln/s1" 0755
  mkdir_mode "$t/ln/s2" 0755
  expect "parent nlink with 2 subdirs" 4 "$(field nlink "$(as_root stat "$t/ln")")"
  expect "rmdir" OK "$(as_root rmdir "$t/ln/s2")"
  expect "parent nlink after rmdir" 3 "$(field nlink "$(as_root stat "$t/ln")")"
  expect "rmdir non-empty" ENOTEMPTY "$(as_root rmdir "$t/ln")"
  expect "rmdir a file" ENOTDIR "$(as_root rmdir "$t/ln/g")"
  expect "unlink a dir" EISDIR "$(as_root unlink "$t/ln/s1")"
  # An open file outlives its last name.
  exec 7<"$t/ln/g"
  as_root unlink "$t/ln/g" >/dev/null
  as_root unlink "$t/ln/h" >/dev/null
  expect_data "unlinked open file still reads" datamore "$(tr -d '\0' <&7)"
  exec 7<&-
}

# A synthetic file of the shadow: hard links and writes must work on it too.
synthetic_files() {
  local mnt=$1 t=$2 f
  f=$(find "$mnt" -path "$mnt/.sfsg" -prune -o -type f -size +1k -print -quit)
  [ -n "$f" ] || { expect "a synthetic file exists" found none; return; }
  local links size
  links=$(field nlink "$(as_root stat "$f")")
  size=$(field size "$(as_root stat "$f")")
  expect "link a synthetic file" OK "$(as_root link "$f" "$t/synthetic_link")"
  expect "synthetic nlink up" $((links + 1)) "$(field nlink "$(as_root stat "$f")")"
  expect "same bytes through the link" "$(md5sum <"$f")" "$(md5sum <"$t/synthetic_link")"
  expect "append to synthetic" OK "$(as_root write "$f" w,append TAIL)"
  expect "synthetic grows" $((size + 4)) "$(field size "$(as_root stat "$t/synthetic_link")")"
  expect "tail readable" TAIL "$(tail -c 4 "$t/synthetic_link")"
  expect "O_TRUNC on synthetic" OK "$(as_root open "$f" w,trunc)"
  expect "synthetic truncated" 0 "$(field size "$(as_root stat "$t/synthetic_link")")"
  expect "truncated reads empty" 0 "$(wc -c <"$f")"
  expect "unlink synthetic" OK "$(as_root unlink "$f")"
  expect "synthetic gone" ENOENT "$(as_root stat "$f")"
  expect "link survives" 1 "$(field nlink "$(as_root stat "$t/synthetic_link")")"
  local d
  d=$(find "$mnt" -path "$mnt/.sfsg" -prune -o -mindepth 1 -type d -print -quit)
  expect "synthetic dir chmod" OK "$(as_root chmod "$d" 0700)"
  expect "synthetic dir mode" 40700 "$(field mode "$(as_root stat "$d")")"
}

timestamps() {
  local t=$1 s0 s1
  mkdir_mode "$t/ts" 0755
  as_root write "$t/ts/f" w,creat 0123456789 >/dev/null
  s0=$(as_root stat "$t/ts/f"); tick
  as_root chmod "$t/ts/f" 0600 >/dev/null
  s1=$(as_root stat "$t/ts/f")
  expect "chmod changes ctime" 1 "$(newer "$(field ctime "$s1")" "$(field ctime "$s0")")"
  expect "chmod keeps mtime" "$(field mtime "$s0")" "$(field mtime "$s1")"
  s0=$s1; tick
  as_root chown "$t/ts/f" 0 100 >/dev/null
  s1=$(as_root stat "$t/ts/f")
  expect "chown changes ctime" 1 "$(newer "$(field ctime "$s1")" "$(field ctime "$s0")")"
  s0=$s1; tick
  as_root write "$t/ts/f" w,append more >/dev/null
  s1=$(as_root stat "$t/ts/f")
  expect "write changes mtime" 1 "$(newer "$(field mtime "$s1")" "$(field mtime "$s0")")"
  expect "write changes ctime" 1 "$(newer "$(field ctime "$s1")" "$(field ctime "$s0")")"
  s0=$s1; tick
  as_root truncate "$t/ts/f" 3 >/dev/null
  s1=$(as_root stat "$t/ts/f")
  expect "truncate changes mtime" 1 "$(newer "$(field mtime "$s1")" "$(field mtime "$s0")")"
  expect "truncate changes ctime" 1 "$(newer "$(field ctime "$s1")" "$(field ctime "$s0")")"
  expect "truncate size" 3 "$(field size "$s1")"
  s0=$s1; tick
  as_root link "$t/ts/f" "$t/ts/g" >/dev/null
  s1=$(as_root stat "$t/ts/f")
  expect "link changes ctime" 1 "$(newer "$(field ctime "$s1")" "$(field ctime "$s0")")"
  expect "link keeps mtime" "$(field mtime "$s0")" "$(field mtime "$s1")"
  local d0 d1
  d0=$(as_root stat "$t/ts"); tick
  as_root open "$t/ts/new" w,creat >/dev/null
  d1=$(as_root stat "$t/ts")
  expect "create changes dir mtime" 1 "$(newer "$(field mtime "$d1")" "$(field mtime "$d0")")"
  expect "create changes dir ctime" 1 "$(newer "$(field ctime "$d1")" "$(field ctime "$d0")")"
  d0=$d1; tick
  as_root link "$t/ts/new" "$t/ts/new2" >/dev/null
  d1=$(as_root stat "$t/ts")
  expect "link changes dir mtime" 1 "$(newer "$(field mtime "$d1")" "$(field mtime "$d0")")"
  expect "link changes dir ctime" 1 "$(newer "$(field ctime "$d1")" "$(field ctime "$d0")")"
  d0=$d1; tick
  as_root unlink "$t/ts/new2" >/dev/null
  d1=$(as_root stat "$t/ts")
  expect "unlink changes dir mtime" 1 "$(newer "$(field mtime "$d1")" "$(field mtime "$d0")")"
  d0=$d1; tick
  as_root rename2 "$t/ts/new" "$t/ts/renamed" none >/dev/null
  d1=$(as_root stat "$t/ts")
  expect "rename changes dir mtime" 1 "$(newer "$(field mtime "$d1")" "$(field mtime "$d0")")"
  s0=$(as_root stat "$t/ts/renamed"); tick
  as_root utimens "$t/ts/renamed" >/dev/null
  s1=$(as_root stat "$t/ts/renamed")
  expect "utimens(NULL) sets mtime" 1 "$(newer "$(field mtime "$s1")" "$(field mtime "$s0")")"
  expect "utimens(NULL) sets atime" 1 "$(newer "$(field atime "$s1")" "$(field atime "$s0")")"
  s0=$s1; tick
  cat "$t/ts/renamed" >/dev/null
  expect "read keeps mtime" "$(field mtime "$s0")" "$(field mtime "$(as_root stat "$t/ts/renamed")")"
}

# newer A B: 1 when timestamp A (sec.nsec) is later than B.
newer() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, "."); split(b, y, ".");
  print (x[1] > y[1] || (x[1] == y[1] && x[2] > y[2])) ? 1 : 0 }'; }

open_flags() {
  local t=$1
  mkdir_mode "$t/of" 0777
  expect "O_EXCL new" OK "$(as_root open "$t/of/x" w,creat,excl)"
  expect "O_EXCL existing" EEXIST "$(as_root open "$t/of/x" w,creat,excl)"
  expect "O_EXCL other user existing" EEXIST "$(as_nobody open "$t/of/x" w,creat,excl)"
  as_root symlink "$t/of/dangling_target" "$t/of/dangling" >/dev/null
  expect "O_EXCL on a dangling symlink" EEXIST "$(as_root open "$t/of/dangling" w,creat,excl)"
  expect "O_CREAT without O_EXCL" OK "$(as_root open "$t/of/x" w,creat)"
  as_root write "$t/of/x" w abc >/dev/null
  expect "O_APPEND" OK "$(as_root write "$t/of/x" w,append def)"
  expect "O_APPEND appends" abcdef "$(content "$t/of/x")"
  expect "O_APPEND rw" OK "$(as_root write "$t/of/x" rw,append ghi)"
  expect "O_APPEND appends again" abcdefghi "$(content "$t/of/x")"
  expect "plain write overwrites" OK "$(as_root write "$t/of/x" w XY)"
  expect "overwrite in place" XYcdefghi "$(content "$t/of/x")"
  expect "O_TRUNC" OK "$(as_root write "$t/of/x" w,trunc new)"
  expect "O_TRUNC result" new "$(content "$t/of/x")"
  expect "O_TRUNC|O_RDONLY leaves data" OK "$(as_root open "$t/of/x" r)"
  expect "data intact" new "$(content "$t/of/x")"
  as_root chmod "$t/of/x" 0644 >/dev/null
  expect "O_TRUNC by other user" EACCES "$(as_nobody open "$t/of/x" w,trunc)"
  expect "data still intact" new "$(content "$t/of/x")"
  expect "O_DIRECTORY on a file" ENOTDIR "$(as_root open "$t/of/x" r,dir)"
  expect "open a dir for write" EISDIR "$(as_root open "$t/of" w)"
  # Concurrent appenders never overwrite each other.
  local i pids=()
  for i in $(seq 1 8); do
    (for _ in $(seq 1 25); do "$PROBE" write "$t/of/app" w,creat,append 0123456789 >/dev/null; done) &
    pids+=($!)
  done
  wait "${pids[@]}"
  expect "200 concurrent appends" 2000 "$(field size "$(as_root stat "$t/of/app")")"
  expect "appends not interleaved" 200 "$(fold -w10 "$t/of/app" | grep -cx 0123456789)"
}

control_files() {
  local mnt=$1
  expect "status readable" OK "$(as_root open "$mnt/.sfsg/status" r)"
  expect "status not writable" "EACCES|EPERM" "$(as_root open "$mnt/.sfsg/status" w)"
  expect "status not truncatable" "EACCES|EPERM" "$(as_root truncate "$mnt/.sfsg/status" 0)"
  expect "status not removable" "EACCES|EPERM" "$(as_root unlink "$mnt/.sfsg/status")"
  expect "no new control files" "EACCES|EPERM" "$(as_root open "$mnt/.sfsg/new" w,creat)"
  expect "control dir not removable" "EACCES|EPERM|EBUSY|ENOTEMPTY" \
    "$(as_root rmdir "$mnt/.sfsg")"
  expect "control chmod" "EACCES|EPERM" "$(as_root chmod "$mnt/.sfsg/status" 0666)"
  expect "control rename" "EACCES|EPERM|EBUSY" \
    "$(as_root rename2 "$mnt/.sfsg/status" "$mnt/status" none)"
}

# Names are bytes: anything but '/' and NUL, valid UTF-8 or not.
odd_names() {
  local t=$1 name i=0
  mkdir_mode "$t/odd" 0755
  for name in $'\x80\xff' $'caf\xe9' $'line\nbreak' 'back\\slash' '"quoted"' $'tab\there' \
    'ünïcödé' ' lead' '-dash' '*?[' $'\x01ctl'; do
    i=$((i + 1))
    expect "odd name $i: create" OK "$(as_root write "$t/odd/$name" w,creat "n$i")"
    expect "odd name $i: stat" 0 "$(field uid "$(as_root stat "$t/odd/$name")")"
  done
  expect "odd names listed" "$i" "$(find "$t/odd" -mindepth 1 -maxdepth 1 -printf x | wc -c)"
  expect "odd names: rename" OK "$(as_root rename2 "$t/odd/"$'\x80\xff' "$t/odd/"$'\xfe\xfe' none)"
  # The overlay must still take changes after such names (dir mode journals them).
  expect "mkdir after odd names" OK "$(as_root mkdir "$t/odd/after" 0755)"
  expect "create after odd names" OK "$(as_root write "$t/odd/after/f" w,creat ok)"
}

run_mode() {
  local mode=$1 mnt writes t pid
  MODE=$mode
  mnt=$(stress_mkmnt)
  case $mode in
    dir) mkdir -p "$STRESS_TMP/overlay-posix"; writes=dir:$STRESS_TMP/overlay-posix ;;
    *) writes=$mode ;;
  esac
  stress_log "posix: $mode mode"
  stress_mount "$mnt" --files 300 --seed 5 --writes "$writes" --allow-other || {
    expect "mount $mode" ok failed
    return
  }
  pid=${STRESS_PID[$mnt]}
  as_root chmod "$mnt" 0777 >/dev/null
  t=$mnt/posix-test
  mkdir_mode "$t" 0777
  as_root chmod "$t" 0777 >/dev/null
  local before=$STRESS_FAILURES
  ownership "$t"
  setgid_dirs "$t"
  permissions "$t"
  sticky "$t"
  name_limits "$t"
  absurd_truncate "$t" "$pid"
  renameat2_flags "$t"
  link_counts "$t"
  if [ "$mode" != discard ]; then
    synthetic_files "$mnt" "$t"
  fi
  timestamps "$t"
  [ "$mode" != discard ] && open_flags "$t"
  control_files "$mnt"
  odd_names "$t"  # last: in dir mode, a journal broken by a name would fail all else
  expect "daemon alive after $mode tests" 1 "$(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0)"
  stress_log "posix: $mode mode: $((STRESS_FAILURES - before)) failures"
  if [ "$mode" = dir ]; then
    # The same answers after a remount from the journal.
    local s_before s_after
    s_before=$(cd "$t" && find . -printf '%p %m %U %G %n %s\n' | sort)
    stress_unmount "$mnt"
    stress_mount "$mnt" --files 300 --seed 5 --writes "$writes" --allow-other
    s_after=$(cd "$t" && find . -printf '%p %m %U %G %n %s\n' | sort)
    expect "dir mode: metadata identical after remount" "$(md5sum <<<"$s_before")" \
      "$(md5sum <<<"$s_after")"
    [ "$s_before" = "$s_after" ] || diff <(echo "$s_before") <(echo "$s_after") | head >&2 || true
    expect "remount: data" new "$(content "$t/of/x")"
    expect "remount: non-UTF-8 name" n1 "$(content "$t/odd/"$'\xfe\xfe')"
    expect "remount: setgid inheritance" 100 "$(field gid "$(as_root stat "$t/sg/sub/deeper")")"
  fi
  stress_unmount "$mnt"
}

# Without --allow-other the mount is private to its owner, whatever the modes say.
private_mount() {
  local mnt
  mnt=$(stress_mkmnt)
  stress_mount "$mnt" --files 50
  expect "private: owner stats" OK "$(as_root open "$mnt/.sfsg/status" r)"
  expect "private: other user denied" EACCES "$(as_nobody stat "$mnt/.sfsg")"
  expect "private: other user root dir" EACCES "$(as_nobody open "$mnt" r,dir)"
  stress_unmount "$mnt"
}

# A mount made by an unprivileged user (through the setuid fusermount3).
unprivileged_mount() {
  local mnt log
  if ! "${NOBODY[@]}" test -r /dev/fuse -a -w /dev/fuse; then
    # Debian makes /dev/fuse 0666; some containers do not.
    echo "SKIP unprivileged mount: /dev/fuse is $(stat -c %A /dev/fuse), not usable by others" >&2
    return
  fi
  mnt=$(stress_mkmnt)
  chown 65534:65534 "$mnt"
  log=$STRESS_TMP/nobody-mount.log
  "${NOBODY[@]}" env HOME=/tmp "$MOUNT_BIN" --files 100 "$mnt" >"$log" 2>&1 ||
    { expect "unprivileged mount" ok "failed: $(head -c 300 "$log")"; return; }
  expect "unprivileged: mounted" 1 "$(mountpoint -q "$mnt" && echo 1 || echo 0)"
  expect "unprivileged: create" OK "$(as_nobody open "$mnt/mine" w,creat)"
  local s
  s=$("${NOBODY[@]}" "$PROBE" stat "$mnt/mine")
  expect "unprivileged: owner" "65534:65534" "$(field uid "$s"):$(field gid "$s")"
  expect "unprivileged: synthetic owner" 65534 "$(field uid "$("${NOBODY[@]}" "$PROBE" stat "$mnt")")"
  expect "unprivileged: other user denied" EACCES "$(as_other stat "$mnt/mine")"
  expect "unprivileged: write" OK "$(as_nobody write "$mnt/mine" w hello)"
  expect "unprivileged: read" hello "$("${NOBODY[@]}" cat "$mnt/mine")"
  expect "unprivileged: chown away" EPERM "$(as_nobody chown "$mnt/mine" 0 0)"
  "${NOBODY[@]}" fusermount3 -u "$mnt"
  local i
  for i in $(seq 1 100); do pgrep -u 65534 -f "sfsg-mount --files 100 $mnt" >/dev/null || break; sleep 0.05; done
  expect "unprivileged: unmounted" 0 "$(mountpoint -q "$mnt" && echo 1 || echo 0)"
}

for mode in "${MODES[@]}"; do
  case $mode in
    memory | dir | discard) run_mode "$mode" ;;
    access) private_mount; unprivileged_mount ;;
    *) echo "posix.sh: unknown mode $mode" >&2; exit 2 ;;
  esac
done
stress_finish
