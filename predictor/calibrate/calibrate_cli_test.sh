#!/usr/bin/env bash
# sfsg-calibrate end to end: a few seconds' active calibration of a scratch directory
# (the model must validate, nothing may be left behind), the passive and fio modes, and
# every refusal with its exit code. Usage: calibrate_cli_test.sh SFSG_CALIBRATE
set -uo pipefail
bin=$1
work=$(mktemp -d /tmp/sfsg-calibrate-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect CODE NEEDLE cmd...: the exit code, and NEEDLE in stderr (one line).
expect() {
  local code=$1 needle=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  [ "$rc" = "$code" ] || fail "$* -> exit $rc, expected $code: $(cat "$work/err")"
  [ -z "$needle" ] || grep -q -- "$needle" "$work/err" || fail "$* -> stderr lacks '$needle': $(cat "$work/err")"
  if [ "$code" != 0 ]; then
    [ "$(wc -l <"$work/err")" -le 1 ] || fail "$* -> more than one line of error"
  fi
}
leftovers() { find "$1" -maxdepth 1 -name '.sfsg-calibrate-*' | wc -l; }

# Active, tiny limits: a model that validates, no scratch directory left.
target=$work/target
mkdir "$target"
expect 0 "" "$bin" --target "$target" --size 4M --time 2s --max-concurrency 4 -o "$work/active.json"
grep -q '"format": "sfsg-device"' "$work/active.json" || fail "active model lacks the format"
grep -q '"mode": "active"' "$work/active.json" || fail "active model lacks its mode"
[ "$(leftovers "$target")" = 0 ] || fail "active calibration left its scratch directory"
expect 0 "" "$bin" --check "$work/active.json"
grep -q "servers" "$work/out" || fail "--check prints no summary"

# Interrupted: exit 130 and the scratch directory removed.
"$bin" --target "$target" --size 4M --time 60s -o "$work/int.json" >/dev/null 2>"$work/err" &
pid=$!
for _ in $(seq 50); do [ "$(leftovers "$target")" = 1 ] && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] || fail "interrupted calibration -> exit $rc, expected 130"
[ "$(leftovers "$target")" = 0 ] || fail "interrupted calibration left its scratch directory"
[ ! -e "$work/int.json" ] || fail "interrupted calibration wrote a model"

# Refusals: no space, not a directory, missing, no permission; nothing left behind.
expect 6 "give a smaller --size" "$bin" --target "$target" --size 1P -o "$work/x.json"
[ "$(leftovers "$target")" = 0 ] || fail "no-space refusal left something"
expect 3 "not a directory" "$bin" --target "$work/active.json" -o "$work/x.json"
expect 3 "No such file" "$bin" --target "$work/missing" -o "$work/x.json"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 755 "$work" "$target"
  expect 3 "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$bin" --target "$target" -o /dev/null
elif [ "$(id -u)" != 0 ]; then
  mkdir "$work/ro" && chmod 500 "$work/ro"
  expect 3 "Permission denied" "$bin" --target "$work/ro" -o "$work/x.json"
fi
[ "$(leftovers "$target")" = 0 ] || fail "permission refusal left something"
[ ! -e "$work/x.json" ] || fail "a refusal wrote a model"

# Usage.
expect 2 "exactly one" "$bin" -o "$work/x.json"
expect 2 "exactly one" "$bin" --target "$target" --fio f.json -o "$work/x.json"
expect 2 "--output" "$bin" --target "$target"
expect 2 "--size" "$bin" --target "$target" --size 1k -o "$work/x.json"

# Passive: a constructed diskstats history fits; a CSV without the counters is named.
awk 'BEGIN {
  print "timestamp,read_ops,write_ops,read_bytes,write_bytes,read_time_ms,write_time_ms,io_time_ms,io_weighted_ms"
  t = 1700000000; ro = wo = rb = wb = rt = wt = io = iw = 0
  print t "," ro "," wo "," rb "," wb "," rt "," wt "," io "," iw
  split("0.2 0.5 1 2 4 8 3 1", q, " ")
  for (i = 1; i <= 8; i++) {
    x = (q[i] < 4 ? q[i] : 4) / 0.0005; ops = x * 10; r = q[i] / x * 1000
    ro += 0.5 * ops; wo += 0.5 * ops; rb += 0.5 * ops * 8192; wb += 0.5 * ops * 8192
    rt += 0.5 * ops * r; wt += 0.5 * ops * r; io += 10000; iw += q[i] * 10000; t += 10
    printf "%d,%.0f,%.0f,%.0f,%.0f,%.3f,%.3f,%.0f,%.3f\n", t, ro, wo, rb, wb, rt, wt, io, iw
  } }' >"$work/usage.csv"
expect 0 "" "$bin" --passive "$work/usage.csv" -o "$work/passive.json"
grep -q '"mode": "passive"' "$work/passive.json" || fail "passive model lacks its mode"
printf 'timestamp,read_ops,write_ops\n1,0,0\n2,5,5\n' >"$work/old.csv"
expect 4 "old.csv: no column 'read_bytes'" "$bin" --passive "$work/old.csv" -o "$work/x.json"
printf 'timestamp,read_ops\n1,zz\n' >"$work/bad.csv"
expect 4 "bad.csv" "$bin" --passive "$work/bad.csv" -o "$work/x.json"

# fio: malformed JSON and a malformed field, each named.
echo '{"jobs": [' >"$work/cut.json"
expect 4 "cut.json" "$bin" --fio "$work/cut.json" -o "$work/x.json"
echo '{"jobs": [{"jobname": "a", "groupid": 0, "job options": {"rw": "trim"}}]}' >"$work/trim.json"
expect 4 "trim.json.jobs\[0\].job options.rw" "$bin" --fio "$work/trim.json" -o "$work/x.json"
expect 3 "" "$bin" --fio "$work/none.json" -o "$work/x.json"

# A model that is not one: exit 4 naming the field.
echo '{"format": "sfsg-curve", "version": 1}' >"$work/notmodel.json"
expect 4 "format" "$bin" --check "$work/notmodel.json"
[ ! -e "$work/x.json" ] || fail "a refusal wrote a model"

[ $failures = 0 ] && echo "calibrate_cli_test: all passed"
exit $((failures > 0))
