# Shared helpers for the mounting tests. Source it from a case script; the script then
# defines case_NAME functions and ends with `run_case "$@"`.
#
# Every test gets a private temporary directory ($T) with its mountpoints; an EXIT trap
# unmounts whatever the test mounted (fusermount3 -u, then umount -l as a last resort),
# waits for each sfsg-mount daemon to exit, ends it by pid if it does not, and removes $T.
# Environment: SFSG_MOUNT (path of the sfsg-mount binary, set by CTest);
# SFSG_BIN (the build's bin/ directory, for optional commands such as sfsg-scan).
set -euo pipefail

: "${SFSG_MOUNT:?SFSG_MOUNT must name the sfsg-mount binary}"
SFSG_MOUNT=$(readlink -f "$SFSG_MOUNT")
[ -x "$SFSG_MOUNT" ] || { echo "FAIL: $SFSG_MOUNT is not executable" >&2; exit 1; }
SKIP_CODE=77

T=$(mktemp -d /tmp/sfsg-mount-test.XXXXXX)
MOUNTS=()
# Mountpoints whose daemon does not take the mountpoint as its last argument (started by
# mount.fuse3, which passes the options last): the trap ends any sfsg-mount naming them.
HELPER_MOUNTS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit "$SKIP_CODE"
}

note() { echo "# $*"; }

# is_mounted MNT: true when MNT is a mount point in this namespace right now.
is_mounted() {
  awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# daemon_pid MNT: pid of the sfsg-mount process serving MNT ("" when none). It is the
# process whose executable is sfsg-mount and whose last argument is MNT.
daemon_pid() {
  local mnt=$1 pid
  for pid in $(mount_pids_with_arg "$mnt"); do
    [ "$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | tail -n 1)" = "$mnt" ] || continue
    echo "$pid"
    return 0
  done
}

# mount_pids_with_arg ARG: pids of the sfsg-mount processes with ARG among their arguments.
mount_pids_with_arg() {
  local file pid exe
  for file in $(procs_with_arg "$1"); do
    pid=${file#/proc/}
    pid=${pid%/cmdline}
    # A binary rebuilt while the test runs shows as "PATH (deleted)".
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    [ "${exe% (deleted)}" = "$SFSG_MOUNT" ] && echo "$pid"
  done
  return 0
}

# end_pid PID: SIGTERM, then SIGKILL if it is still there after 5 s.
end_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait_until 5 pid_gone "$1" || kill -KILL "$1" 2>/dev/null || true
}

# procs_with_arg ARG: /proc/PID/cmdline of every process with ARG as one argument (the
# list may include the grep that searched, which has exited by the time it is read).
procs_with_arg() {
  grep -lzxF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null || true
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s; false if it never succeeds.
# A safety net against hangs, not a timing assertion.
wait_until() {
  local tenths=$(($1 * 10))
  shift
  while ! "$@"; do
    tenths=$((tenths - 1))
    [ "$tenths" -gt 0 ] || return 1
    sleep 0.1
  done
}

# pid_gone PID: the process has exited (a zombie waiting for init to reap it counts).
pid_gone() {
  kill -0 "$1" 2>/dev/null || return 0
  [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
not_mounted() { ! is_mounted "$1"; }

# threads_gone PID: every thread of PID has exited (zombies count as exited).
threads_gone() {
  local stat
  for stat in /proc/"$1"/task/*/stat; do
    [ -e "$stat" ] || continue
    [ "$(sed 's/.*) //' "$stat" 2>/dev/null | cut -d' ' -f1)" = Z ] || return 1
  done
  return 0
}

# thread_states PID: "TID:STATE:WCHAN" for each thread of PID still there.
thread_states() {
  local task
  for task in /proc/"$1"/task/*; do
    [ -d "$task" ] || continue
    printf '%s:%s:%s ' "${task##*/}" "$(sed 's/.*) //' "$task/stat" 2>/dev/null | cut -d' ' -f1)" \
      "$(cat "$task/wchan" 2>/dev/null)"
  done
}

# procs_on_arg_like WORD: "PID ARGS" of every process whose command line contains WORD.
procs_on_arg_like() {
  local file
  for file in $(grep -lzF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
    printf '[%s] ' "$(tr '\0' ' ' <"$file" 2>/dev/null)"
  done
}

# write_model FILE SERVICE_US SERVERS [EXTRA_JSON_FIELDS]: a hand-written model where
# every data request of 4 KiB takes SERVICE_US on SERVERS servers.
write_model() {
  local file=$1 us=$2 servers=$3 extra=${4:-}
  local bucket="[{\"size_bytes\": 4096, \"service\": {\"kind\": \"constant\", \"us\": $us}}]"
  cat >"$file" <<EOF
{"format": "sfsg-device", "version": 1, "name": "test ${us}us x$servers", "servers": $servers,
 "data": {"read": {"sequential": $bucket, "random": $bucket},
          "write": {"sequential": $bucket, "random": $bucket}}$extra}
EOF
}

# new_mountpoint NAME: creates $T/NAME and prints it.
new_mountpoint() {
  mkdir -p "$T/$1"
  echo "$T/$1"
}

# mount_shadow MNT [sfsg-mount arguments...]: mounts (MNT goes last) and returns once
# the mount answers; the trap unmounts it. Fails the test when sfsg-mount fails.
mount_shadow() {
  local mnt=$1
  shift
  MOUNTS+=("$mnt")
  "$SFSG_MOUNT" --log-level warn "$@" "$mnt" || fail "sfsg-mount $* $mnt: exit $?"
  is_mounted "$mnt" || fail "sfsg-mount returned but $mnt is not mounted"
}

# unmount_shadow MNT: unmounts and waits for the daemon to exit.
unmount_shadow() {
  local mnt=$1 pid
  pid=$(daemon_pid "$mnt")
  if is_mounted "$mnt"; then
    wait_until 10 fusermount3 -u -q "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  fi
  if [ -n "$pid" ] && ! wait_until 10 pid_gone "$pid"; then
    echo "warning: sfsg-mount (pid $pid) still runs after unmount; ending it" >&2
    end_pid "$pid"
  fi
}

# Unmounts everything the test mounted (MOUNTS may list a mountpoint twice after a
# remount), then removes $T; keeps the exit status of the test.
cleanup() {
  local rc=$? mnt pid
  trap - EXIT
  cd /
  for mnt in "${HELPER_MOUNTS[@]}"; do
    for pid in $(mount_pids_with_arg "$mnt"); do end_pid "$pid"; done
  done
  for mnt in "${MOUNTS[@]}"; do
    if is_mounted "$mnt" || [ -n "$(daemon_pid "$mnt")" ]; then unmount_shadow "$mnt"; fi
  done
  local stuck=0
  for mnt in "${MOUNTS[@]}"; do
    if is_mounted "$mnt"; then
      echo "warning: $mnt is still mounted; $T is kept" >&2
      stuck=1
    fi
  done
  # Never recurse into a mount that is still there.
  [ "$stuck" = 1 ] || rm -rf "$T" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# expect_rc EXPECTED WHAT COMMAND...: runs COMMAND, checks its exit status.
expect_rc() {
  local expected=$1 what=$2 rc=0
  shift 2
  "$@" || rc=$?
  [ "$rc" -eq "$expected" ] || fail "$what: exit $rc, expected $expected"
}

# valid_json FILE: true when FILE holds one valid JSON document.
valid_json() {
  if command -v jq >/dev/null; then
    jq -e . "$1" >/dev/null
  else
    python3 -m json.tool "$1" >/dev/null
  fi
}

# json_field FILE FILTER: one value with jq syntax (python fallback for .a.b paths).
json_field() {
  if command -v jq >/dev/null; then
    jq -r "$2" "$1"
  else
    python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    v = v[k]
print(v)' "$1" "$2"
  fi
}

# sample_files DIR N: N regular files of DIR spread over its tree, as relative paths in
# find order (skips the control files).
sample_files() {
  local dir=$1 n=$2
  (cd "$dir" && find . -path ./.sfsg -prune -o -type f -print) >"$T/all-files"
  local total
  total=$(wc -l <"$T/all-files")
  [ "$total" -gt 0 ] || fail "no files under $dir"
  awk -v total="$total" -v n="$n" 'BEGIN { step = total / n; if (step < 1) step = 1 }
    { if (NR - 1 >= next_at) { print; next_at += step } }' "$T/all-files" | head -n "$n"
}

# hash_files DIR LIST: "sha256  path" for every relative path in LIST, read under DIR.
hash_files() {
  (cd "$1" && xargs -d '\n' sha256sum --) <"$2"
}

run_case() {
  [ $# -eq 1 ] || fail "usage: $0 CASE"
  declare -F "case_$1" >/dev/null || fail "no case '$1' in $0"
  "case_$1"
  echo "PASS: $1"
}
