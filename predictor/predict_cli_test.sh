#!/bin/bash
# Command-line tests of sfsg-predict and sfsg-meter: real binaries, real files, exit codes.
# usage: predict_cli_test.sh SFSG_PREDICT SFSG_METER SOURCE_DIR
set -u
predict=$1
meter=$2
source_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/cli_test_lib.sh"

no_nan() {
  if grep -qiE '(^|[^a-z])nan([^a-z]|$)' "$1"; then fail "$1 contains NaN"; fi
}

# 60 days of hourly metering: 10 GiB/day growth with a 200 GiB clean-up on day 30, a
# daily cycle, pseudo-random noise (an LCG, so the file is the same everywhere), and
# read/write counters with a daily cycle.
awk 'BEGIN {
  print "timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes";
  seed = 12345; reads = 0; writes = 0;
  for (i = 0; i < 60 * 24; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648; noise = seed / 2147483648 - 0.5;
    day = i / 24;
    used = 3e11 + 10737418240 * day + 2e9 * sin(6.2831853 * day) + 1e9 * noise;
    if (day >= 30) used -= 214748364800;
    rate = 300 + 2 * day + 100 * sin(6.2831853 * day) + 20 * noise;
    reads += 3600 * rate * 0.7; writes += 3600 * rate * 0.3;
    printf "%d,%.0f,1099511627776,%.0f,%.0f,%.0f,%.0f,%.0f\n", 1700000000 + 3600 * i, used,
      1e6 + 2000 * day, reads, writes, reads * 4096, writes * 8192;
  }
}' >"$work/usage.csv"

# The plan, in each output form.
expect 0 "$predict" --usage "$work/usage.csv" --curve "$source_dir/predictor/testdata/curve.json" \
  --horizon 90d --buffer 20% --slo p99=20ms --report "$work/report.html"
contains "Storage (used_bytes"
contains "1 level step modelled"
# Each step is named: kind, date, signed size, and whether declared or detected.
contains "^  level step  *cleanup 2023-12-14 [0-9:]* UTC, -[0-9.]* GiB, detected; modelled$"
contains "threshold reached"
# The storage and demand tables each say why the starred model was chosen.
[ "$(grep -c '^  chosen: ' "$work/out")" -eq 2 ] || fail "the plan should print two 'chosen:' lines"
contains "Performance"
contains "p99 <= 20 ms"
contains "recommended capacity"
# The bands at the horizon are printed with the digits that tell their bounds apart (they
# differ by well under 0.1 TiB here).
band=$(grep -E '^  at horizon' "$work/out" | grep -oE '80%: [^,]*')
[ "${band% .. *}" != "80%: ${band#* .. }" ] || fail "the 80% band prints as '$band'"
no_nan "$work/out"
[ -s "$work/report.html" ] || fail "no HTML report"
grep -c "<svg" "$work/report.html" | grep -q 4 || fail "the report should hold 4 charts"
no_nan "$work/report.html"

expect 0 "$predict" plan --usage "$work/usage.csv" --curve "$source_dir/predictor/testdata/curve.json" \
  --horizon 90d --buffer 20% --slo p99=20ms --json -o "$work/plan.json"
[ -s "$work/plan.json" ] || fail "-o wrote nothing"
grep -q '"format": "sfsg-forecast"' "$work/plan.json" || fail "JSON lacks its format"
grep -q '"version": 1' "$work/plan.json" || fail "JSON lacks its version"
grep -q '"sustainable_ops_per_s"' "$work/plan.json" || fail "JSON lacks the performance plan"
no_nan "$work/plan.json"
if command -v python3 >/dev/null; then
  python3 - "$work/plan.json" <<'EOF' || fail "JSON content"
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["storage"]["forecast"]["level_shifts"], "no level shift"
assert plan["performance"]["usl"]["sigma"] > 0, "no USL fit"
EOF
fi

expect 0 "$predict" --usage "$work/usage.csv" --curve "$source_dir/predictor/testdata/curve.json" \
  --slo p99=20ms --prometheus
contains "^sfsg_forecast_storage_recommended_capacity_bytes "
contains '^sfsg_forecast_storage_threshold_seconds{bound="expected"} '
contains "^sfsg_forecast_usl_sigma "
contains '^# TYPE sfsg_forecast_sustainable_throughput_ops_per_second gauge'
no_nan "$work/out"

# A latency fit within the measured range, above the USL peak: the plan says the USL
# peak capped it (one rung measured above the fitted peak).
jq '(.steps[] | select(.concurrency == 24) | .total.ops_per_s) = 16500' \
  "$source_dir/predictor/testdata/curve.json" >"$work/spike.json"
expect 0 "$predict" --curve "$work/spike.json" --slo p99=5ms
contains "^  p99 <= 5 ms  *up to [0-9]* ops/s (capped at the USL peak; the fit says [0-9]* ops/s; measured 16500 ops/s)$"
contains "by the fit, above the USL peak; capped at"
grep -q "beyond the range measured" "$work/out" && fail "a fit within the measured range is called beyond it"

# A declared step is named as declared.
expect 0 "$predict" --usage "$work/usage.csv" --horizon 30d --event 2023-11-20=import
contains "^  level step  *import 2023-11-20 [0-9:]* UTC, [-+][0-9.]* [KMGT]\?i\?B, declared (--event); modelled$"
contains "2 level steps modelled (1 declared)"
contains "event 2023-11-20=import: the series shows no step out of the noise"

# Backtests on the NAB series: the chosen model against predict_linear's method.
expect 0 "$predict" backtest "$source_dir/tests/data/nab/ec2_disk_write_bytes_c0d644.csv"
contains "predict_linear"
contains "seasonal_naive"
contains "vs predict_linear's method"
# On this series the model ranked first loses out of sample: the plan says which and why.
contains "had the lowest MASE at 1.0 d ahead, but the choice scores .* worse than the baseline chosen the same way"
expect 0 "$predict" backtest "$source_dir/tests/data/nab/ec2_disk_write_bytes_c0d644.csv" --json
python3 - "$work/out" <<'EOF2' || fail "fallback in JSON"
import json, sys
b = json.load(open(sys.argv[1]))["backtest"]
assert b["fallback"] == "loses_to_baseline_choice", b["fallback"]
assert b["lowest_mase_model"] not in ("naive", "drift", "seasonal_naive"), b["lowest_mase_model"]
assert b["selection_mase"] > b["baseline_selection_mase"]
EOF2
expect 0 "$predict" backtest "$work/usage.csv" --column files --json
contains '"model"'

# Bad usage: exit 2.
expect 2 "$predict"
expect 2 "$predict" --usage "$work/usage.csv" --slo p99=20parsecs
contains "unknown unit" err
expect 2 "$predict" --usage "$work/usage.csv" --horizon 90x
# A horizon so long that its grid (never finer than the horizon / 50,000) leaves under 10
# points of the history is the option's fault, not the file's.
expect 2 "$predict" --usage "$work/usage.csv" --horizon 1000y
contains "--horizon: " err
expect 2 "$predict" --usage "$work/usage.csv" --buffer 120%
expect 2 "$predict" --usage "$work/usage.csv" --no-such-option
expect 2 "$predict" --usage "$work/usage.csv" --json --prometheus
cut -d, -f1,2 "$work/usage.csv" >"$work/no_capacity.csv"
expect 2 "$predict" --usage "$work/no_capacity.csv"
contains "--capacity" err
expect 0 "$predict" --usage "$work/no_capacity.csv" --capacity 1T
# Unreadable input: exit 3.
expect 3 "$predict" --usage "$work/missing.csv"
# Bad input: exit 4, with the file and line named.
printf 'timestamp,used_bytes\n1700000000,10\n1700000060,11\n1700000120,12\n' >"$work/short.csv"
expect 4 "$predict" --usage "$work/short.csv" --capacity 1G
contains "at least" err
printf 'timestamp,used_bytes\n1700000000,10\n1700000060,11\n1700000030,12\n' >"$work/backwards.csv"
expect 4 "$predict" --usage "$work/backwards.csv" --capacity 1G
contains "backwards.csv:4" err
printf 'timestamp,used_bytes\n2024-01-01T00:00:00Z,10\n2024-01-01T00:01:00Z,lots\n' >"$work/word.csv"
expect 4 "$predict" --usage "$work/word.csv" --capacity 1G
contains "word.csv:3: used_bytes" err
expect 4 "$predict" --curve "$source_dir/predictor/testdata/curve_one_step.json" --slo p99=20ms
expect 4 "$predict" backtest "$work/usage.csv" --column nothing
contains "has: " err

# one_line_error: stderr is a single line (no usage text after an option error).
one_line_error() {
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "not one line of error: $(head -c 300 "$work/err")"
}
# Option errors: exit 2, one line, naming the option and the value.
expect 2 "$predict" --bogus
one_line_error
contains "unrecognised option '--bogus'" err
expect 2 "$predict" --usage "$work/usage.csv" --folds abc
one_line_error
contains "--folds: 'abc'" err
expect 2 "$predict" --usage "$work/usage.csv" --usage "$work/usage.csv"
one_line_error
expect 2 "$predict" --usage "$work/usage.csv" --max-points -1
one_line_error
contains "--max-points: '-1'" err
expect 2 "$predict" --usage "$work/usage.csv" --seed -1
contains "--seed: '-1'" err
expect 2 "$predict" --usage "$work/usage.csv" --folds -1
contains "--folds: '-1'" err
# A stray word is refused, not ignored.
expect 2 "$predict" bogusverb --usage "$work/usage.csv"
one_line_error
contains "unexpected argument 'bogusverb'" err
expect 2 "$predict" --usage "$work/usage.csv" extra
contains "unexpected argument 'extra'" err
expect 2 "$predict" backtest "$work/usage.csv" extra
contains "unexpected argument 'extra'" err
# Timestamps outside 1970..2200: a unit mistake or damage, named with file and line.
awk -F, 'NR == 1 { print; next } NR <= 40 { printf "%s000", $1; $1 = ""; print }' OFS=, \
  "$work/usage.csv" | sed 's/000,,/000,/' >"$work/millis.csv"
expect 4 "$predict" --usage "$work/millis.csv"
contains "millis.csv:2: timestamp: '1700000000000'" err
contains "looks like milliseconds" err
{ head -n 30 "$work/usage.csv"; echo "1e300,1,1099511627776,1,1,1,1,1"; } >"$work/far.csv"
expect 4 "$predict" --usage "$work/far.csv"
contains "far.csv:31: timestamp: '1e300'" err
# Prometheus input going backwards is refused, as a CSV is.
cat >"$work/backwards.json" <<'JSON'
{"status": "success", "data": {"resultType": "matrix", "result": [
 {"metric": {"__name__": "used_bytes"},
  "values": [[1700000000, "1"], [1700003600, "2"], [1700001800, "3"]]}]}}
JSON
expect 4 "$predict" --usage "$work/backwards.json" --capacity 1G
contains "backwards.json: data.result\[0\].values\[2\]: timestamp goes backwards" err
# Too few points: the file is named.
expect 4 "$predict" --usage "$work/short.csv" --capacity 1G
contains "short.csv: used_bytes: " err
# A write error on stdout: exit 3, not a silent success.
if [ -w /dev/full ]; then
  "$predict" --usage "$work/usage.csv" --json >/dev/full 2>"$work/err"
  got=$?
  [ "$got" -eq 3 ] || fail "--json > /dev/full: exit $got, wanted 3"
  contains "^sfsg-predict: stdout: write error$" err
  "$predict" --help >/dev/full 2>"$work/err"
  got=$?
  [ "$got" -eq 3 ] || fail "--help > /dev/full: exit $got, wanted 3"
fi

# --help and the man page agree: every long option of --help (plan and backtest) is in
# sfsg-predict(1); --slo shows an example, not what looks like a default.
man_page="$source_dir/man/sfsg-predict.1"
expect 0 "$predict" --help
contains "--column"
grep -q -- '--slo .*(p99=20ms)' "$work/out" && fail "--help shows p99=20ms like a default"
for option in $(grep -o -- '--[a-z][a-z-]*' "$work/out" | sort -u); do
  grep -qF -- "$(sed 's/-/\\-/g' <<<"$option")" "$man_page" || fail "--help's $option is not in sfsg-predict.1"
done
expect 0 "$predict" backtest --help
for option in $(grep -o -- '--[a-z][a-z-]*' "$work/out" | sort -u); do
  grep -qF -- "$(sed 's/-/\\-/g' <<<"$option")" "$man_page" || fail "backtest --help's $option is not in sfsg-predict.1"
done
# Every Prometheus gauge and every field backtest --json adds is documented.
# (with capacity_files, so the inode gauges are there too)
awk -F, -v OFS=, '{ print $0, (NR == 1 ? "capacity_files" : 4000000) }' "$work/usage.csv" \
  >"$work/usage_inodes.csv"
expect 0 "$predict" --usage "$work/usage_inodes.csv" --capacity 1T --prometheus
grep -q '^sfsg_forecast_files_threshold_seconds' "$work/out" || fail "no inode gauges"
for gauge in $(grep -o '^sfsg_forecast_[a-z_]*' "$work/out" | sort -u); do
  grep -qF -- "${gauge#sfsg_forecast}" "$man_page" || fail "gauge $gauge is not in sfsg-predict.1"
done
grep -qF 'sfsg_forecast_storage_info{model,seasonality}' "$man_page" || fail "storage_info undocumented"
expect 0 "$predict" backtest "$work/usage.csv" --json
jq -e 'has("column") and has("warnings")' "$work/out" >/dev/null || fail "backtest --json fields"
grep -q 'two more fields: \\fBcolumn\\fR' "$man_page" || fail "backtest --json's column and warnings undocumented"
# sfsg-meter: three samples of the root filesystem, appended to a CSV.
expect 0 "$meter" / --interval 0.1s --count 3 --out "$work/metered.csv"
[ "$(wc -l <"$work/metered.csv")" -eq 4 ] || fail "metered.csv should have a header and 3 rows"
meter_header=timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes
meter_header+=,capacity_files,read_time_ms,write_time_ms,io_time_ms,io_weighted_ms
[ "$(head -1 "$work/metered.csv")" = "$meter_header" ] || fail "meter header"
# The capacity is what df says: used plus what users may still write (so never below used).
awk -F, 'NR > 1 && (NF != 13 || $2 <= 0 || $3 < $2 || $9 < $4) { bad = 1 } END { exit bad }' \
  "$work/metered.csv" ||
  fail "meter rows"
expect 0 "$meter" / --interval 0.1s --count 2 --out "$work/metered.csv" --quiet
[ "$(wc -l <"$work/metered.csv")" -eq 6 ] || fail "a second run should append 2 rows"
# A file that opens with '#' comments (scripts/demo's labelled synthetic history): the
# header is the first other line, the comments stay, rows are appended after the rest.
{
  echo "# SYNTHETIC history (not measured)"
  echo "# second comment line"
  head -1 "$work/metered.csv"
  sed -n 2p "$work/metered.csv"
} >"$work/commented.csv"
cp "$work/commented.csv" "$work/commented.before"
expect 0 "$meter" / -n 1 --out "$work/commented.csv" --quiet
[ "$(wc -l <"$work/commented.csv")" -eq 5 ] || fail "no row appended after '#' comments: $(cat "$work/err")"
cmp -s <(head -4 "$work/commented.csv") "$work/commented.before" || fail "the comments or rows before changed"
# Comments only: the header follows them.
printf '# only a note' >"$work/note.csv"
expect 0 "$meter" / -n 1 --out "$work/note.csv" --quiet
sed -n 2p "$work/note.csv" | grep -q '^timestamp,used_bytes,' || fail "no header after a comment-only file"
# A comment does not hide a foreign header.
printf '# note\ntime,size\n1,2\n' >"$work/foreign.csv"
expect 4 "$meter" / -n 1 --out "$work/foreign.csv" --quiet
contains "'time,size'" err
# Three samples are too few to forecast: a clear error, not NaN.
expect 4 "$predict" --usage "$work/metered.csv"
# A filesystem with no block device (tmpfs) leaves the I/O columns empty.
if [ -d /dev/shm ]; then
  expect 0 "$meter" /dev/shm --interval 0.1s --count 1
  contains "^timestamp,"
  tail -1 "$work/out" | grep -q ',,,,$' || fail "tmpfs rows should have empty I/O columns"
fi
printf 'timestamp,other\n' >"$work/other.csv"
expect 4 "$meter" / --count 1 --out "$work/other.csv"
expect 3 "$meter" "$work/does/not/exist" --count 1
expect 2 "$meter" / --interval 1parsec

# Device candidates: a calibrated model and the diskstats demand size the device at the
# horizon's peak, with no curve; text, JSON and the HTML report carry them and their basis.
bucket='[{"size_bytes": 4096, "service": {"kind": "constant", "us": 2000}}]'
cat >"$work/model.json" <<EOF
{"format": "sfsg-device", "version": 1, "name": "slow 2ms x1", "servers": 1,
 "data": {"read": {"sequential": $bucket, "random": $bucket},
          "write": {"sequential": $bucket, "random": $bucket}}}
EOF
expect 0 "$predict" --usage "$work/usage.csv" --device "$work/model.json" --slo p99=50ms \
  --horizon 90d --report "$work/candidates.html"
contains "Device candidates at the horizon's peak"
contains "the candidates scale device model 'slow 2ms x1'"
contains "today .*saturated"
contains "(recommended)"
grep -q '<table class="candidates">' "$work/candidates.html" || fail "no candidates in the report"
grep -q "not validated" "$work/candidates.html" || fail "the report hides the model's validation"
expect 0 "$predict" --usage "$work/usage.csv" --device "$work/model.json" --slo p99=50ms \
  --horizon 90d --json
python3 - "$work/out" <<'PY' || fail "device_candidates JSON"
import json, sys
c = json.load(open(sys.argv[1]))["device_candidates"]
assert c["status"] == "evaluated" and c["basis"]["model"]["name"] == "slow 2ms x1", c
assert c["candidates"][0]["name"] == "today" and c["candidates"][0]["saturated"], c
assert c["recommended"] not in (None, "today"), c
PY
# A model without an objective: no candidates, and the plan says why.
expect 0 "$predict" --usage "$work/usage.csv" --device "$work/model.json" --horizon 90d --json
grep -q '"reason": "no latency objective' "$work/out" || fail "no reason for no candidates"
# Bad models: the file and field named, exit 4 (3 when unreadable).
printf '{"format": "sfsg-device", "version": 1, "servers": 0}' >"$work/bad-model.json"
expect 4 "$predict" --usage "$work/usage.csv" --device "$work/bad-model.json" --slo p99=50ms
contains "bad-model.json" err
printf '{"format": "other"}' >"$work/other-model.json"
expect 4 "$predict" --usage "$work/usage.csv" --device "$work/other-model.json"
contains "format" err
expect 3 "$predict" --usage "$work/usage.csv" --device "$work/no-such-model.json"

# Demand in device requests mapped onto the curve's file operations: a ratio given, or the
# one a device-timed shadow's ladder measured and stored in the curve; the plan says which.
curve=$source_dir/predictor/testdata/curve.json
expect 0 "$predict" --usage "$work/usage.csv" --curve "$curve" --horizon 90d --json
grep -q '"mapping": "none"' "$work/out" || fail "an unmapped plan should say mapping none"
expect 0 "$predict" --usage "$work/usage.csv" --curve "$curve" --horizon 90d --requests-per-op 2
contains "demand in file operations/s (2 device requests per file operation, as given)"
contains "headroom now"
python3 - "$curve" "$work/timed-curve.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["device"] = {"model": "slow 2ms x1", "requests_per_file_op": 1.5}
json.dump(c, open(sys.argv[2], "w"))
PY
expect 0 "$predict" --usage "$work/usage.csv" --curve "$work/timed-curve.json" \
  --device "$work/model.json" --horizon 90d --json
python3 - "$work/out" <<'PY' || fail "measured mapping JSON"
import json, sys
p = json.load(open(sys.argv[1]))["performance"]
u = p["device"]["unit"]
assert u["mapping"] == "measured" and u["device_requests_per_file_op"] == 1.5, u
assert u["comparable"] is True and "slow 2ms x1" in u["mapping_statement"], u
assert p["headroom"] is not None and p["demand"]["threshold_reached"] is not None, p
PY
expect 0 "$predict" --usage "$work/usage.csv" --curve "$work/timed-curve.json" --horizon 90d \
  --report "$work/mapped.html"
grep -q "measured by the curve" "$work/mapped.html" || fail "the report hides the mapping"
expect 2 "$predict" --usage "$work/usage.csv" --requests-per-op 2
contains "give --curve" err
expect 2 "$predict" --usage "$work/usage.csv" --curve "$curve" --requests-per-op 0
contains "--requests-per-op" err
expect 2 "$predict" --usage "$work/usage.csv" --curve "$curve" --requests-per-op lots
python3 - "$curve" "$work/bad-curve.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["device"] = {"model": "x", "requests_per_file_op": 0}
json.dump(c, open(sys.argv[2], "w"))
PY
expect 4 "$predict" --usage "$work/usage.csv" --curve "$work/bad-curve.json"
contains "device.requests_per_file_op" err

# A line with AR(1) noise where the combination of the three best is chosen and one of
# them (compound) bends away beyond the lead: the bands take in its members (the truth,
# 76.7 days, was outside a 95% band of 58.9-70.3 days).
expect 0 "$predict" --usage "$source_dir/predictor/testdata/ar_linear.csv" --json
cp "$work/out" "$work/ar.json"
python3 - "$work/ar.json" <<'PY' || fail "a combination's bands leave out its members"
import json, sys
t = json.load(open(sys.argv[1]))["storage"]["threshold_reached"]
truth = 76.7
assert t["earliest_days"] <= truth, t
assert t.get("latest_days") is None or t["latest_days"] >= truth, t
PY

if [ "$failures" -ne 0 ]; then
  echo "$failures failures" >&2
  exit 1
fi
echo "predict_cli_test: all passed"
