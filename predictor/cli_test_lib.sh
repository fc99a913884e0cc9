# Shared by predict_cli_test.sh and meter_cli_test.sh (source it after setting $work):
# fail, expect and contains. Every command runs for at most 20 s and, unless under a
# sanitizer (which reserves terabytes of address space), in 1 GiB of address space, so
# a runaway read or loop fails the test instead of the machine.
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect CODE CMD...: runs CMD, checks its exit status, keeps its output in $work/out
# and its errors in $work/err.
expect() {
  local want=$1
  shift
  if [ -n "${SFSG_SANITIZER:-}" ]; then
    timeout 20 "$@" >"$work/out" 2>"$work/err"
  else
    (ulimit -v 1048576; timeout 20 "$@") >"$work/out" 2>"$work/err"
  fi
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "exit $got (wanted $want): $*"
    sed 's/^/  | /' "$work/err" >&2
  fi
}

# contains TEXT [FILE]: $work/FILE (default: out) holds TEXT.
contains() {
  grep -q -- "$1" "$work/${2:-out}" || fail "output lacks '$1'"
}
