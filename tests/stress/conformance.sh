#!/usr/bin/env bash
# Every file type (regular, directory, symlink, FIFO, Unix socket, character and block
# device) through the same POSIX operations on tmpfs and on a shadow, and the two
# transcripts compared line by line (sfsg_conformance: chmod, chown, utimensat, link,
# rename and renameat2 flags, truncate, open, unlink/rmdir, link counts, which times
# moved, data through a FIFO, connect to a socket, mknod as another user and with bad
# types; per type, another user against root's object in a sticky directory and against
# its own, and setgid-directory inheritance). dir mode then remounts and checks every type
# and link came back.
# Usage: conformance.sh BUILD_DIR MODE   (MODE: memory | dir | discard)
# Needs root (a tmpfs mount, device nodes, a second user); exits 77 (skipped) otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stress_init "${1:?usage: conformance.sh BUILD_DIR MODE}"
MODE=${2:?usage: conformance.sh BUILD_DIR MODE}
[ "$(id -u)" -eq 0 ] || { echo "conformance.sh: needs root: skipped" >&2; exit 77; }
case $MODE in memory | dir | discard) ;; *) echo "conformance.sh: unknown mode $MODE" >&2; exit 2 ;; esac

CONF=$(dirname "$PROBE")/sfsg_conformance
if [ ! -x "$CONF" ]; then
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  CONF=$STRESS_TMP/sfsg_conformance
  c++ -std=c++20 -O2 -Wall -I"$here/../.." -o "$CONF" "$here/conformance.cc" "$here/errno_name.cc"
fi

# The reference: tmpfs with the options a FUSE mount gets (nodev, nosuid), so opening a
# device node is refused the same way on both.
REF=$STRESS_TMP/tmpfs
mkdir -p "$REF"
mount -t tmpfs -o nodev,nosuid,mode=755 sfsg-conformance "$REF"
trap 'umount "$REF" 2>/dev/null || true; stress_cleanup' EXIT
mkdir "$REF/conf"
"$CONF" "$REF/conf" --keep >"$STRESS_TMP/tmpfs.txt"

mnt=$(stress_mkmnt)
writes=$MODE
[ "$MODE" = dir ] && { mkdir -p "$STRESS_TMP/overlay"; writes=dir:$STRESS_TMP/overlay; }
stress_mount "$mnt" --files 300 --seed 5 --writes "$writes" --allow-other ||
  { expect "mount $MODE" ok failed; stress_finish; exit 1; }
pid=${STRESS_PID[$mnt]}
mkdir "$mnt/conf"
"$CONF" "$mnt/conf" --keep >"$STRESS_TMP/shadow.txt"

# Each line is a check: its step and outcome must be what tmpfs said.
lines=$(wc -l <"$STRESS_TMP/tmpfs.txt")
expect "transcript length ($lines lines on tmpfs)" "$lines" "$(wc -l <"$STRESS_TMP/shadow.txt")"
while IFS= read -r -u 3 want && IFS= read -r -u 4 got; do
  expect "${want%%:*}" "$(printf '%s' "${want#*: }" | sed 's/[][\\.*^$|()+?{}]/\\&/g')" "${got#*: }"
done 3<"$STRESS_TMP/tmpfs.txt" 4<"$STRESS_TMP/shadow.txt"
expect "daemon alive after the $MODE run" 1 "$(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0)"

# keep/: one object of each type with set owner, mode and times, and a second link.
# (%f: the raw mode in hex; a directory's size, the filesystem's own business, is left out.)
listing() {
  (cd "$1/conf/keep" && stat -c '%n %f %h %u %g %t:%T %s %X %Y' -- * |
    awk '$2 ~ /^4...$/ { $7 = "-" } 1' | sort)
}
expect "keep/ as on tmpfs" "$(listing "$REF" | md5sum)" "$(listing "$mnt" | md5sum)"
[ "$(listing "$REF")" = "$(listing "$mnt")" ] || diff <(listing "$REF") <(listing "$mnt") >&2 || true
if [ "$MODE" = dir ]; then
  before=$(listing "$mnt")
  stress_unmount "$mnt"
  stress_mount "$mnt" --files 300 --seed 5 --writes "$writes" --allow-other
  after=$(listing "$mnt")
  expect "dir mode: every type back after a remount" "$(md5sum <<<"$before")" "$(md5sum <<<"$after")"
  [ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2 || true
  expect "remount: a FIFO still carries data" hello \
    "$(exec 5<>"$mnt/conf/keep/fifo"; echo hello >&5; timeout 5 head -n 1 <&5)"
  expect "remount: FIFO links" "same" \
    "$([ "$(stat -c %i "$mnt/conf/keep/fifo")" = "$(stat -c %i "$mnt/conf/keep/fifo-link")" ] && echo same)"
  expect "remount: device number" "7:200" "$(stat -c '%Hr:%Lr' "$mnt/conf/keep/blk")"
fi
stress_unmount "$mnt"
stress_finish
