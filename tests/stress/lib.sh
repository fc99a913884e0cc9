# Shared by the tests in tests/stress/ and by scripts/soak: mounting shadows in the
# foreground (so the daemon's pid is known: for kill -9 and RSS sampling), unmounting
# them whatever happens, and counting checks. Source it, then call stress_init BUILD.
#
#   stress_mount MNT [sfsg-mount options...]   mounts; STRESS_PID[MNT] is the daemon
#   stress_unmount MNT                         fusermount3 -u, then umount -l at worst
#   expect NAME PATTERN ACTUAL                 a check: ACTUAL must match ^(PATTERN)$
#   stress_finish                              prints the tally; exit status 1 on failure
# Every mount, daemon and temporary directory is removed by the EXIT trap.

STRESS_CHECKS=0
STRESS_FAILURES=0
declare -A STRESS_PID=()
declare -A STRESS_LOG_START=()  # first line of each mount's messages in STRESS_LOG
STRESS_TMP=$(mktemp -d /tmp/sfsg-stress.XXXXXX)
chmod 755 "$STRESS_TMP"
STRESS_LOG=$STRESS_TMP/mount.log

stress_log() { echo "[$(date +%T)] $*" >&2; }

stress_cleanup() {
  local mnt
  for mnt in "${!STRESS_PID[@]}"; do stress_unmount "$mnt" || true; done
  # Unprivileged mounts made by the tests themselves register here too.
  for mnt in $(awk -v t="$STRESS_TMP" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
    fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf "$STRESS_TMP" 2>/dev/null || true
}

# stress_init BUILD_DIR: finds sfsg-mount and the probe (compiled on the spot when the
# build has not made it, so the scripts also run before CMake knows about them).
stress_init() {
  local build
  build=$(cd "$1" && pwd)
  MOUNT_BIN=$build/bin/sfsg-mount
  [ -x "$MOUNT_BIN" ] || MOUNT_BIN=$build/fuse/sfsg-mount
  [ -x "$MOUNT_BIN" ] || { echo "no sfsg-mount in $build" >&2; exit 2; }
  PROBE=$build/tests/stress/sfsg_posix_probe
  if [ ! -x "$PROBE" ]; then
    PROBE=$STRESS_TMP/sfsg_posix_probe
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    c++ -std=c++20 -O2 -Wall -I"$here/../.." -o "$PROBE" "$here/posix_probe.cc" "$here/probe_clients.cc" \
      "$here/errno_name.cc"
  fi
  trap stress_cleanup EXIT
  trap 'exit 130' INT TERM
}

# stress_mount MNT [options...]: runs sfsg-mount -f in the background and waits until
# the mount answers. Fails (returns 1) when the daemon exits first.
stress_mount() {
  local mnt=$1
  shift
  touch "$STRESS_LOG"
  STRESS_LOG_START[$mnt]=$(($(wc -l <"$STRESS_LOG") + 1))
  # STRESS_WRAP: an optional command prefix for the daemon (e.g. setpriv dropping caps).
  ${STRESS_WRAP:-} "$MOUNT_BIN" -f "$@" "$mnt" >>"$STRESS_LOG" 2>&1 &
  local pid=$! i
  for i in $(seq 1 400); do
    if mountpoint -q "$mnt" 2>/dev/null; then
      STRESS_PID[$mnt]=$pid
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      echo "sfsg-mount $* $mnt exited before mounting; log:" >&2
      tail -5 "$STRESS_LOG" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "sfsg-mount $mnt did not answer in 20 s" >&2
  kill -9 "$pid" 2>/dev/null || true
  return 1
}

# stress_unmount MNT: returns 1 when the daemon had to be killed or did not exit 0.
stress_unmount() {
  local mnt=$1 pid=${STRESS_PID[$1]:-} rc=0 i
  if mountpoint -q "$mnt" 2>/dev/null; then
    fusermount3 -u "$mnt" 2>/dev/null || { sleep 0.5; fusermount3 -u "$mnt" 2>/dev/null; } ||
      umount -l "$mnt" 2>/dev/null || rc=1
  fi
  if [ -n "$pid" ]; then
    for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      rc=1
    fi
    wait "$pid" 2>/dev/null || rc=1
  fi
  unset "STRESS_PID[$mnt]"
  return $rc
}

# stress_mkmnt: prints a fresh empty mountpoint under the temporary directory.
stress_mkmnt() {
  local d
  d=$(mktemp -d "$STRESS_TMP/mnt.XXXXXX")
  chmod 755 "$d"
  echo "$d"
}

expect() {
  local name=$1 pattern=$2 actual=$3
  STRESS_CHECKS=$((STRESS_CHECKS + 1))
  if [[ "$actual" =~ ^($pattern)$ ]]; then
    [ -n "${STRESS_VERBOSE:-}" ] && echo "ok   $name" >&2
    return 0
  fi
  STRESS_FAILURES=$((STRESS_FAILURES + 1))
  echo "FAIL $name: expected '$pattern', got '$actual'" >&2
  return 0
}

# mount_log MNT: what the daemon of MNT logged so far.
mount_log() { tail -n +"${STRESS_LOG_START[$1]:-1}" "$STRESS_LOG"; }

# field KEY "uid=0 gid=0 ...": the value of KEY in a probe `stat` line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# The daemon's resident set (KiB), open descriptors and threads.
proc_figures() {
  local pid=$1
  echo "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status") $(ls "/proc/$pid/fd" | wc -l) \
$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")"
}

stress_finish() {
  echo "$(basename "$0"): $STRESS_CHECKS checks, $STRESS_FAILURES failures"
  [ "$STRESS_FAILURES" -eq 0 ]
}
