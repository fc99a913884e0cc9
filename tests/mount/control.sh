#!/usr/bin/env bash
# The control files under /.sfsg/: JSON documents and Prometheus metrics.
# Usage: control.sh CASE
source "$(dirname "$0")/lib.sh"

case_control_json() {
  local m f
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=3000,scale=1
  expect_eq "$(ls "$m/.sfsg" | sort | tr '\n' ' ')" "alerts curve forecast metrics profile status " \
    "control files"
  for f in status profile forecast alerts curve; do
    valid_json "$m/.sfsg/$f" || fail ".sfsg/$f is not valid JSON"
  done
  expect_eq "$(json_field "$m/.sfsg/status" .seed)" 42 "status seed"
  expect_eq "$(json_field "$m/.sfsg/status" .entries)" 3000 "status entries"
  expect_eq "$(json_field "$m/.sfsg/status" .profile)" builtin "status profile"
  expect_eq "$(json_field "$m/.sfsg/status" .overlay.kind)" memory "status overlay kind"
  expect_eq "$(json_field "$m/.sfsg/profile" .format)" sfsg-profile "profile format"
  expect_eq "$(json_field "$m/.sfsg/forecast" .status)" no-forecast "forecast before the predictor ran"
  json_field "$m/.sfsg/forecast" .reason | grep -q "no usage history to forecast from" ||
    fail "/.sfsg/forecast does not say why there is no forecast: $(cat "$m/.sfsg/forecast")"
  expect_eq "$(json_field "$m/.sfsg/alerts" '.alerts | length')" 0 "alerts before the predictor ran"
  # The profile served is a profile sfsg-mount accepts: mount it elsewhere.
  cp "$m/.sfsg/profile" "$T/profile.json"
  local m2
  m2=$(new_mountpoint m2)
  mount_shadow "$m2" "$T/profile.json" -o seed=42,files=3000
  (cd "$m" && find . -path ./.sfsg -prune -o -printf '%p %s\n') >"$T/a"
  (cd "$m2" && find . -path ./.sfsg -prune -o -printf '%p %s\n') >"$T/b"
  cmp -s "$T/a" "$T/b" || fail "the served profile does not reproduce the tree"
  # Status follows the overlay; reading it in small pieces gives one document.
  head -c 8192 /dev/urandom >"$m/written"
  expect_eq "$(json_field "$m/.sfsg/status" .bytes_written)" 8192 "status bytes_written"
  dd if="$m/.sfsg/status" bs=7 status=none >"$T/status-pieces"
  valid_json "$T/status-pieces" || fail "status read 7 bytes at a time is not valid JSON"
  # Control files are read-only.
  { echo x >"$m/.sfsg/status"; } 2>/dev/null && fail "wrote to .sfsg/status"
  rm "$m/.sfsg/status" 2>/dev/null && fail "removed .sfsg/status"
  true
}

# check_prometheus FILE: Prometheus text exposition format, version 0.0.4: HELP/TYPE
# comments, then samples `name{labels} value`; every sample belongs to a declared
# family; histogram buckets are cumulative and end in +Inf == _count.
check_prometheus() {
  awk '
    function fail(msg) { print "metrics line " NR ": " msg ": " $0 > "/dev/stderr"; bad = 1 }
    /^# HELP / { next }
    /^# TYPE / {
      if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("bad type")
      type[$3] = $4; next
    }
    /^#/ { next }
    /^$/ { fail("empty line"); next }
    {
      if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$/) {
        fail("not a sample"); next
      }
      name = $1; sub(/\{.*/, "", name)
      family = name; sub(/_(bucket|sum|count)$/, "", family)
      if (!(name in type) && !(family in type && type[family] == "histogram")) fail("undeclared family")
      if (type[name] == "counter" && $2 < 0) fail("negative counter")
      if (name ~ /_bucket$/) {
        series = $1; sub(/,?le="[^"]*"/, "", series)
        if (series in last && $2 < last[series]) fail("bucket not cumulative")
        last[series] = $2
        if ($1 ~ /le="\+Inf"/) inf[series] = $2
      }
      if (name ~ /_count$/ && type[family] == "histogram") {
        series = $1; sub(/_count/, "_bucket", series)
        if (!(series in inf) || inf[series] != $2) fail("+Inf bucket differs from _count")
      }
      samples++
    }
    END { if (samples == 0) { print "no samples" > "/dev/stderr"; bad = 1 } exit bad }' "$1"
}

case_control_metrics() {
  local m
  m=$(new_mountpoint m)
  mount_shadow "$m" -o seed=42,files=3000
  find "$m" -path "$m/.sfsg" -prune -o -type f -print | awk 'NR <= 50' | xargs -d '\n' cat >/dev/null
  cp "$m/.sfsg/metrics" "$T/metrics"
  grep -q '^sfsg_uptime_seconds ' "$T/metrics" && [ "$(tail -c 1 "$T/metrics" | od -An -c | tr -d ' ')" = '\n' ] ||
    fail "cp copied a truncated metrics file"
  check_prometheus "$T/metrics" || fail ".sfsg/metrics is not valid Prometheus text"
  # The work above shows up in the counters. (cp trusts st_size: the copy is whole only
  # when the size the kernel reports matches the text read.)
  local reads lookups read_bytes
  reads=$(awk '$1 == "sfsg_operations_total{op=\"read\"}" { print $2 }' "$T/metrics")
  lookups=$(awk '$1 == "sfsg_operations_total{op=\"lookup\"}" { print $2 }' "$T/metrics")
  read_bytes=$(awk '$1 == "sfsg_read_bytes_total" { print $2 }' "$T/metrics")
  note "reads $reads, lookups $lookups, bytes read $read_bytes"
  [ "${reads:-0}" -ge 50 ] || fail "read counter $reads < 50"
  [ "${read_bytes:-0}" -gt 0 ] || fail "no bytes counted"
  grep -q '^sfsg_operation_latency_seconds_bucket{op="read",le="+Inf"}' "$T/metrics" ||
    fail "no read latency histogram"
  grep -q '^sfsg_overlay_bytes ' "$T/metrics" || fail "no overlay gauge"
  # The validator rejects what it should (so the check above can fail).
  printf 'no_type_declared 1\n' >"$T/bad1"
  check_prometheus "$T/bad1" 2>/dev/null && fail "validator accepted an undeclared family"
  printf '# TYPE x histogram\nx_bucket{le="1"} 5\nx_bucket{le="+Inf"} 3\nx_count 3\n' >"$T/bad2"
  check_prometheus "$T/bad2" 2>/dev/null && fail "validator accepted non-cumulative buckets"
  true
}

run_case "$@"
