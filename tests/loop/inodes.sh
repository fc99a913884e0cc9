#!/usr/bin/env bash
# Inodes in the loop: a usage series with files and capacity_files whose inodes run out
# before its bytes fires files_days_to_full (the --alert-days-to-full threshold, the
# --alert-days-bound date) in /.sfsg/alerts and to Alertmanager, and /.sfsg/metrics
# serves the inode forecast. Usage: inodes.sh CASE   (helpers: ../mount/lib.sh)
source "$(dirname "$0")/../mount/lib.sh"
AM_PID=""
AM_PORT=""

# usage_with_inodes FILE [NO_CAPACITY_FILES]: 60 daily rows (seeded). Bytes grow 0.01 TiB
# a day from 5 of 10 TiB (the 80% threshold ~240 days away); files grow 20,000 a day
# from 1 M of 4 M inodes (the 80% threshold, 3.2 M, ~51 days after the last row).
usage_with_inodes() {
  python3 - "$@" <<'PY'
import random, sys
r = random.Random(7); T = 2**40; T0 = 1704067200
path, with_cap = sys.argv[1], len(sys.argv) < 3
with open(path, "w") as f:
    f.write("timestamp,used_bytes,capacity_bytes,files" + (",capacity_files" if with_cap else "") + "\n")
    for i in range(60):
        row = [T0 + 86400 * i, int(5 * T + 0.01 * T * i + r.gauss(0, 0.003 * T)), 10 * T,
               int(1000000 + 20000 * i + r.gauss(0, 2000))]
        f.write(",".join(map(str, row + ([4000000] if with_cap else []))) + "\n")
PY
}

# A stand-in Alertmanager on a free 127.0.0.1 port: appends each POST body to $1 and
# sets AM_PORT; stopped by the EXIT trap (call it in this shell, not in $(...)).
start_fake_alertmanager() {
  local bodies=$1 port_file=$T/am.port
  python3 - "$bodies" "$port_file" <<'PY' >/dev/null 2>&1 &
import http.server, sys
bodies, port_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(bodies, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
s.serve_forever()
PY
  AM_PID=$!
  wait_until 20 test -s "$port_file" || fail "the stand-in Alertmanager did not start"
  AM_PORT=$(cat "$port_file")
}

stop_fake_alertmanager() {
  [ -n "$AM_PID" ] || return 0
  kill -TERM "$AM_PID" 2>/dev/null || true
  wait "$AM_PID" 2>/dev/null || true
  AM_PID=""
}

rule() {  # rule ALERTS_FILE NAME PYTHON-EXPRESSION-ON-r
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=[r for r in d['rules'] if r['name']==sys.argv[2]]; print(($3) if r else 'no rule ' + sys.argv[2])" "$1" "$2"
}

case_files_days_to_full() {
  trap 'rc=$?; set +e; stop_fake_alertmanager; (exit $rc); cleanup' EXIT
  local mnt state
  usage_with_inodes "$T/files.csv"
  start_fake_alertmanager "$T/am.bodies"
  mnt=$(new_mountpoint shadow)
  state=$T/state
  cat >"$T/hook" <<'HOOK'
#!/bin/sh
env | grep '^SFSG_' | sort > "$(dirname "$0")/env"
HOOK
  chmod +x "$T/hook"
  mount_shadow "$mnt" --files 1000 --watch "$T/files.csv" --interval 1h --rounds 1 \
    --no-load-ladder --no-adjust --alert-days-to-full 60 --state-dir "$state" \
    --alertmanager "http://127.0.0.1:$AM_PORT" --on-alert "$T/hook"
  wait_until 120 grep -q '"evaluated"' "$mnt/.sfsg/alerts" ||
    fail "never evaluated: $(cat "$mnt/.sfsg/alerts")"
  # The hook hears the inode figures: the expected date (~51 days) and the counts.
  wait_until 60 test -s "$T/env" || fail "the alert hook did not run"
  grep -q '^SFSG_ALERT=files_days_to_full$' "$T/env" || fail "hook env: $(cat "$T/env")"
  grep -q '^SFSG_FILES_CAPACITY=4000000$' "$T/env" || fail "hook env: $(cat "$T/env")"
  awk -F= '$1 == "SFSG_FILES_DAYS_TO_FULL" { ok = $2 > 30 && $2 < 60 } END { exit !ok }' "$T/env" ||
    fail "SFSG_FILES_DAYS_TO_FULL: $(cat "$T/env")"
  local alerts=$mnt/.sfsg/alerts
  # The inode rule: measured, ~51 days (the expected date), below 60, firing; the
  # storage rule (~240 days) is not.
  expect_eq "$(rule "$alerts" files_days_to_full "r[0]['measured'], r[0]['threshold'] == 60, 30 < r[0]['value'] < 60")" \
    "(True, True, True)" "files_days_to_full (measured, threshold, value ~51 d)"
  expect_eq "$(rule "$alerts" files_days_to_full "'expected date' in r[0]['description']")" True \
    "files_days_to_full names its bound"
  expect_eq "$(rule "$alerts" storage_days_to_full "r[0]['value'] > 200")" True "storage_days_to_full"
  expect_eq "$(json_field "$alerts" '.firing | join(",")')" files_days_to_full "firing rules"
  grep -q '"name":"files_days_to_full","state":"firing"' "$state/alerts.jsonl" ||
    fail "alerts.jsonl: $(cat "$state/alerts.jsonl")"
  # /.sfsg/metrics: the inode forecast, its expected crossing the rule's value.
  cat "$mnt/.sfsg/metrics" >"$T/metrics"
  local seconds
  seconds=$(awk '$1 == "sfsg_forecast_files_threshold_seconds{bound=\"expected\"}" { print $2 }' "$T/metrics")
  [ -n "$seconds" ] || fail "/.sfsg/metrics has no files threshold: $(grep files "$T/metrics")"
  awk -v s="$seconds" 'BEGIN { exit !(s > 30 * 86400 && s < 60 * 86400) }' ||
    fail "files threshold at $seconds s, expected 30..60 days"
  for name in files_used files_capacity files_threshold; do
    grep -q "^sfsg_forecast_$name " "$T/metrics" || fail "/.sfsg/metrics has no sfsg_forecast_$name"
  done
  expect_eq "$(awk '$1 == "sfsg_forecast_files_capacity" { print $2 }' "$T/metrics")" 4000000 "files capacity"
  [ "$(grep -c '^# TYPE sfsg_forecast_files_threshold_seconds ' "$T/metrics")" = 1 ] ||
    fail "sfsg_forecast_files_threshold_seconds is served more than once"
  # Alertmanager got it, with the routing labels.
  wait_until 20 grep -q files_days_to_full "$T/am.bodies" 2>/dev/null ||
    fail "no files_days_to_full posted to Alertmanager: $(cat "$T/am.bodies" 2>/dev/null)"
  python3 - "$T/am.bodies" "$mnt" <<'PY' || fail "Alertmanager payload: $(cat "$T/am.bodies")"
import json, sys
alerts = [a for line in open(sys.argv[1]) for a in json.loads(line)]
files = [a for a in alerts if a["labels"]["alertname"] == "files_days_to_full"]
assert files, alerts
l = files[-1]["labels"]
assert l["service"] == "sfsg" and l["severity"] == "warning" and l["mountpoint"] == sys.argv[2], l
assert not any(a["labels"]["alertname"] == "storage_days_to_full" for a in alerts), alerts
PY
}

case_files_without_capacity_files() {
  # No capacity_files column: the inode rule is listed but not measured, and never fires;
  # /.sfsg/metrics has no inode threshold to serve.
  local mnt
  usage_with_inodes "$T/files.csv" no-capacity-files
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" --files 1000 --watch "$T/files.csv" --interval 1h --rounds 1 \
    --no-load-ladder --no-adjust --alert-days-to-full 60 --state-dir "$T/state"
  wait_until 120 grep -q '"evaluated"' "$mnt/.sfsg/alerts" ||
    fail "never evaluated: $(cat "$mnt/.sfsg/alerts")"
  expect_eq "$(rule "$mnt/.sfsg/alerts" files_days_to_full "r[0]['measured'], r[0]['value']")" \
    "(False, None)" "files_days_to_full without capacity_files"
  expect_eq "$(json_field "$mnt/.sfsg/alerts" '.firing | length')" 0 "firing rules"
  grep -q '^sfsg_forecast_files_threshold_seconds' "$mnt/.sfsg/metrics" &&
    fail "a files threshold without capacity_files"
  return 0
}

run_case "$@"
