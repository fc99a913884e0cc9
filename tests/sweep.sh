#!/usr/bin/env bash
# The last test of every run (a CTest cleanup fixture, `sweep.leftovers`): ends what a
# test killed by its timeout left behind, so a run never leaves a mount or a process.
#  - sfsg-mount and sfsg-nullfs daemons started by a test of this build: the executable
#    is in BUILD_DIR and the environment holds SFSG_UNDER_CTEST=1, which CTest gives every
#    test (a shadow you mounted yourself, the demo's included, is never touched):
#    SIGTERM, which unmounts cleanly, then SIGKILL (auto_unmount removes the mount);
#  - dead sfsg mounts in the tests' temporary directories (/tmp/sfsg-mount-test.*,
#    /tmp/sfsg-stress.*, /tmp/sfsg-report-test.*; their daemon is gone, stat fails):
#    lazy unmount. Live mounts there belong to a run still going and are left alone.
# Each test's own teardown normally leaves nothing, so anything found fails this test,
# naming it. Usage: sweep.sh BUILD_DIR
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(readlink -f "$1")
found=0

gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

for link in /proc/[0-9]*/exe; do
  pid=${link#/proc/}
  pid=${pid%/exe}
  exe=$(readlink "$link" 2>/dev/null) || continue
  exe=${exe% (deleted)}
  case $exe in
    "$build"/*/sfsg-mount | "$build"/*/sfsg-nullfs) ;;
    *) continue ;;
  esac
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx SFSG_UNDER_CTEST=1 || continue
  echo "sweep: left running: pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  found=1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do gone "$pid" && break; sleep 0.1; done
  gone "$pid" || kill -KILL "$pid" 2>/dev/null
done

# Mount points with an sfsg filesystem type under /tmp/sfsg-*, from mountinfo (field 5
# the mount point, the type after the " - " separator).
while read -r type mnt; do
  case $type in fuse.sfsg-mount | fuse.sfsg-nullfs) ;; *) continue ;; esac
  case $mnt in /tmp/sfsg-mount-test.* | /tmp/sfsg-stress.* | /tmp/sfsg-report-test.*) ;; *) continue ;; esac
  # A live mount belongs to a run still going (another build, a soak): leave it.
  timeout 5 stat -f "$mnt" >/dev/null 2>&1 && continue
  echo "sweep: dead mount left: $mnt"
  fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null ||
    echo "sweep: cannot unmount $mnt" >&2
  found=1
done < <(awk '{ for (i = 7; i <= NF; ++i) if ($i == "-") { print $(i + 1), $5; break } }' \
  /proc/self/mountinfo)
if [ "$found" -ne 0 ]; then
  echo "FAIL: a test left the above behind (now cleaned up)"
  exit 1
fi
echo "PASS: nothing left behind"
