#!/usr/bin/env bash
# The command line: bad input gives one error line, the documented exit code and no
# mount; signals unmount cleanly; kill -9 leaves no dead mount; the mount(8) helper form.
# Usage: cli.sh CASE
source "$(dirname "$0")/lib.sh"

# procs_on MNT: pids of processes (other than this shell's) with MNT as an argument.
procs_on() {
  local file pid
  for file in $(procs_with_arg "$1"); do
    pid=${file#/proc/}
    pid=${pid%/cmdline}
    # Not this shell, and not the finished grep that had MNT as its pattern.
    [ "$pid" != "$$" ] && [ -d "/proc/$pid" ] && echo "$pid"
  done
  true
}

no_procs_on() { [ -z "$(procs_on "$1")" ]; }

# expect_refusal CODE MNT ARGS...: sfsg-mount ARGS must exit with CODE, print exactly one
# line on stderr and nothing on stdout, and leave neither a mount nor a process behind.
expect_refusal() {
  local code=$1 mnt=$2 rc=0
  shift 2
  MOUNTS+=("$mnt")
  "$SFSG_MOUNT" "$@" >"$T/out" 2>"$T/err" || rc=$?
  note "sfsg-mount $*: exit $rc: $(cat "$T/err")"
  expect_eq "$rc" "$code" "exit status of sfsg-mount $*"
  expect_eq "$(wc -l <"$T/err")" 1 "lines on stderr"
  grep -q '^sfsg-mount: ' "$T/err" || fail "the error does not start with 'sfsg-mount: '"
  [ -s "$T/out" ] && fail "output on stdout: $(cat "$T/out")"
  is_mounted "$mnt" && fail "a mount was left on $mnt"
  [ -z "$(procs_on "$mnt")" ] || fail "a process was left behind: $(procs_on "$mnt")"
  true
}

case_missing_mountpoint() {
  expect_refusal 2 "$T/none" -o seed=42
}

case_bad_seed() {
  local m
  m=$(new_mountpoint m)
  expect_refusal 2 "$m" -o seed=abc "$m"
  expect_refusal 2 "$m" --seed=-1 "$m"
  expect_refusal 2 "$m" --scale 0 "$m"
  expect_refusal 2 "$m" -o threads=0 "$m"
  expect_refusal 2 "$m" --no-such-option "$m"
}

# --files 0 is not "use the default size" in disguise: it is refused.
case_zero_files() {
  local m
  m=$(new_mountpoint m)
  expect_refusal 2 "$m" --files 0 "$m"
  expect_refusal 2 "$m" --files lots "$m"
  expect_refusal 2 "$m" --bytes 1X "$m"
}

case_bad_writes() {
  local m
  m=$(new_mountpoint m)
  expect_refusal 2 "$m" --writes bogus "$m"
  expect_refusal 2 "$m" -o writes=memory:lots "$m"
  expect_refusal 3 "$m" --writes "dir:$T/no-such-dir" "$m"
}

case_malformed_profile() {
  local m
  m=$(new_mountpoint m)
  printf '{"format": "sfsg-profile", "version": 1, "totals": ' >"$T/truncated.json"
  expect_refusal 4 "$m" "$T/truncated.json" "$m"
  printf '{"format": "not-a-profile"}\n' >"$T/wrong.json"
  expect_refusal 4 "$m" "$T/wrong.json" "$m"
  expect_refusal 3 "$m" "$T/no-such-profile.json" "$m"
  # A valid profile with one field of the wrong type names the field.
  local good
  good=$(new_mountpoint good)
  mount_shadow "$good" -o files=100
  jq '.version = "one"' "$good/.sfsg/profile" >"$T/badfield.json"
  unmount_shadow "$good"
  expect_refusal 4 "$m" "$T/badfield.json" "$m"
  grep -q 'version' "$T/err" || fail "the error does not name the field: $(cat "$T/err")"
}

case_config_and_sizes() {
  # The config file: read with a limit (a FIFO nobody writes or /dev/zero must not hang),
  # a missing or unreadable one is exit 3, a bad value names file, line and key.
  local m rc
  m=$(new_mountpoint m)
  mkfifo "$T/fifo.conf"
  rc=0
  timeout 20 "$SFSG_MOUNT" -c "$T/fifo.conf" --print-config "$m" >/dev/null 2>&1 || rc=$?
  [ "$rc" -ne 124 ] || fail "-c FIFO --print-config hung"
  expect_refusal 3 "$m" -c /dev/zero "$m"
  expect_refusal 3 "$m" -c "$T/no-such.conf" "$m"
  expect_refusal 3 "$m" -c "$T" "$m"
  printf 'files = 100\n\nseed = abc\n' >"$T/c.conf"
  expect_refusal 2 "$m" -c "$T/c.conf" "$m"
  grep -q "c.conf:3: seed: 'abc'" "$T/err" || fail "the error does not name file:line: key"
  expect_refusal 2 "$m" --log-level bogus "$m"
  # A number option names itself and its value; a number with a tail is not a number.
  expect_refusal 2 "$m" --alert-headroom 12abc "$m"
  grep -q -- "--alert-headroom: '12abc' is not a number" "$T/err" ||
    fail "the error does not name --alert-headroom: $(cat "$T/err")"
  # --print-config prints only what would mount.
  expect_refusal 2 "$m" --print-config --writes bogus
  expect_refusal 3 "$m" --print-config --workload "$T/no-such-workload.json"
  # Sizes the model cannot honour are refused, naming both values.
  expect_refusal 2 "$m" --files 100000 --bytes 1 "$m"
  grep -q -- "--bytes 1 with --files 100000" "$T/err" || fail "--bytes error names both"
  expect_refusal 2 "$m" --dirs 1000000 --files 1 "$m"
  grep -q -- "--dirs 1000000 with --files 1" "$T/err" || fail "--dirs error names both"
  # An option libfuse rejects: one line, not libfuse's plus ours.
  expect_refusal 2 "$m" -o bogus=1 "$m"
}

case_missing_directory() {
  expect_refusal 3 "$T/no/such/dir" -o seed=42 "$T/no/such/dir"
  : >"$T/a-file"
  expect_refusal 3 "$T/a-file" "$T/a-file"
}

case_sigterm() {
  local m pid rc=0 sig
  m=$(new_mountpoint m)
  # Background (daemonized): SIGTERM and SIGINT to the daemon unmount.
  for sig in TERM INT; do
    mount_shadow "$m" -o seed=42,files=1000
    pid=$(daemon_pid "$m")
    [ -n "$pid" ] || fail "no daemon for $m"
    kill -"$sig" "$pid"
    wait_until 20 pid_gone "$pid" || fail "daemon survived SIG$sig"
    is_mounted "$m" && fail "still mounted after SIG$sig to the daemon"
    # fusermount3's auto_unmount watcher leaves right after the daemon.
    wait_until 20 no_procs_on "$m" || fail "processes left after SIG$sig: $(procs_on "$m")"
  done
  # Foreground: the exit status is visible, and a clean stop is a success.
  "$SFSG_MOUNT" -f --log-level warn -o seed=42,files=1000 "$m" &
  pid=$!
  wait_until 20 is_mounted "$m" || fail "foreground mount did not appear"
  ls "$m" >/dev/null
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  is_mounted "$m" && fail "still mounted after SIGTERM"
  ls "$m" >/dev/null || fail "$m unusable after SIGTERM"
  expect_eq "$rc" 0 "exit status of sfsg-mount -f after SIGTERM"
}

case_kill9() {
  local m pid
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=1000
  cat "$m/.sfsg/status" >/dev/null
  ls "$m" >/dev/null  # a directory opened once (no-opendir mode used to fool auto_unmount)
  pid=$(daemon_pid "$m")
  [ -n "$pid" ] || fail "no daemon for $m"
  kill -KILL "$pid"
  wait_until 20 pid_gone "$pid" || fail "daemon survived SIGKILL"
  # auto_unmount: fusermount3's watcher unmounts once the daemon's last thread has exited
  # (the leader shows as a zombie before that). A loaded machine can take a while: these
  # waits are safety nets, and what they print says where it stuck if it ever does.
  wait_until 60 threads_gone "$pid" || fail "threads of $pid left after SIGKILL: $(thread_states "$pid")"
  wait_until 60 not_mounted "$m" ||
    fail "a dead mount stayed on $m after kill -9; fusermount3: $(procs_on_arg_like fusermount3)"
  ls "$m" >/dev/null || fail "$m unusable after kill -9"
  wait_until 20 no_procs_on "$m" || fail "processes left: $(procs_on "$m")"
  # The mountpoint can be mounted again.
  mount_shadow "$m" -o seed=42,files=1000
  valid_json "$m/.sfsg/status" || fail "remount after kill -9"
}

# mount -t fuse.sfsg-mount builtin MNT -o seed=42: mount(8) execs mount.fuse3, which runs
# `sfsg-mount builtin MNT -o ...` through the shell with PATH.
case_mount_helper() {
  command -v mount.fuse3 >/dev/null || command -v mount.fuse >/dev/null ||
    skip "mount.fuse3 is not installed"
  local m bindir
  m=$(new_mountpoint m)
  bindir=$(new_mountpoint bin)
  ln -s "$SFSG_MOUNT" "$bindir/sfsg-mount"
  MOUNTS+=("$m")
  local helper
  helper=$(command -v mount.fuse3 || command -v mount.fuse)
  # What mount(8) runs: the helper with the type's subtype.
  PATH="$bindir:$PATH" "$helper" builtin "$m" -t sfsg-mount -o seed=42,dev,suid,noatime ||
    fail "$helper builtin $m -t sfsg-mount -o seed=42: exit $?"
  is_mounted "$m" || fail "the helper returned but nothing is mounted"
  expect_eq "$(json_field "$m/.sfsg/status" .seed)" 42 "seed through the helper"
  expect_eq "$(json_field "$m/.sfsg/status" .profile)" builtin "profile through the helper"
  unmount_shadow "$m"
  # mount(8) itself and /etc/fstab. mount(8) runs helpers with PATH set to
  # /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin, so sfsg-mount must be
  # installed there (cmake --install does). The test installs nothing: in a private
  # mount namespace it binds a directory holding sfsg-mount over /usr/local/sbin and a
  # one-line fstab over /etc/fstab; both vanish with the namespace.
  command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
  [ -d /usr/local/sbin ] || skip "/usr/local/sbin does not exist"
  local m2
  m2=$(new_mountpoint m2)
  MOUNTS+=("$m2")
  printf 'builtin %s fuse.sfsg-mount noauto,seed=7,scale=2,writes=discard 0 0\n' "$m2" >"$T/fstab"
  # A failing inner script must not leave a daemon behind in its namespace.
  HELPER_MOUNTS+=("$m" "$m2")
  unshare --mount --propagation private bash -euo pipefail -s -- \
    "$bindir" "$m" "$m2" "$T/fstab" <<'INNER' || fail "mount(8) forms: exit $?"
bindir=$1 m=$2 m2=$3 fstab=$4
trap 'fusermount3 -u -q "$m" 2>/dev/null || true; fusermount3 -u -q "$m2" 2>/dev/null || true' EXIT
mount --bind "$bindir" /usr/local/sbin
PATH=/usr/bin:/bin mount -t fuse.sfsg-mount builtin "$m" -o seed=42 ||
  { echo "mount -t fuse.sfsg-mount builtin $m -o seed=42: exit $?" >&2; exit 1; }
seed=$(jq -r .seed "$m/.sfsg/status")
[ "$seed" = 42 ] || { echo "seed through mount(8): got '$seed', expected 42" >&2; exit 1; }
[ "$(find "$m" -maxdepth 2 | wc -l)" -gt 1 ] || { echo "mount(8): empty tree" >&2; exit 1; }
fusermount3 -u "$m"
mount --bind "$fstab" /etc/fstab
PATH=/usr/bin:/bin mount "$m2" || { echo "mount $m2 (from fstab): exit $?" >&2; exit 1; }
status=$(jq -c '[.seed, .scale, .writes]' "$m2/.sfsg/status")
[ "$status" = '[7,2,"discard"]' ] ||
  { echo "fstab options: got $status, expected [7,2,\"discard\"]" >&2; exit 1; }
fusermount3 -u "$m2"
INNER
  not_mounted "$m" || fail "$m still mounted outside the namespace"
}

run_case "$@"
