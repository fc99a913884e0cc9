#!/bin/bash
# sfsg with real Prometheus servers from Debian's packages, all on 127.0.0.1, each on a
# free port with its own temporary storage, all stopped by the EXIT trap.
#
# usage: prom.sh CASE   (live_source, rules_and_dashboard, loop_scrape_alert)
# Environment: SFSG_BIN (the build's bin/), SFSG_SOURCE (the source tree).
# Exit 77 (skipped) when the servers are not installed (SFSG_TEST_PACKAGES has them).
set -euo pipefail
: "${SFSG_BIN:?}" "${SFSG_SOURCE:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sfsg-prom-test.XXXXXX)
PIDS=()
MOUNTS=()

cleanup() {
  local pid m
  for m in "${MOUNTS[@]}"; do fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
note() { echo "# $(date +%T) $*"; }
need() { command -v "$1" >/dev/null || { echo "SKIP: $1 is not installed"; exit 77; }; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: polls every 0.1 s (a guard against hangs, not a timing check).
wait_for() {
  local tenths=$(($1 * 10)); shift
  until "$@" >/dev/null 2>&1; do
    tenths=$((tenths - 1)); [ "$tenths" -gt 0 ] || return 1; sleep 0.1
  done
}

# start NAME COMMAND...: runs a server in the background, its output in $T/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$T/$name.log" 2>&1 &
  PIDS+=($!)
}

# start_prometheus JOB PORT: Prometheus on $T/tsdb scraping 127.0.0.1:PORT every second
# as job JOB; sets PROM (its URL) once it is ready.
start_prometheus() {
  cat >"$T/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: $1
    static_configs: [{targets: ['127.0.0.1:$2']}]
YML
  local port; port=$(free_port)
  start prometheus prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --storage.tsdb.retention.time=10y --web.listen-address="127.0.0.1:$port"
  PROM=http://127.0.0.1:$port
  wait_for 30 curl -sf "$PROM/-/ready" || fail "prometheus did not become ready"
}

# instant QUERY [TIME]: the first value of an instant query ("" when no series).
instant() {
  curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} |
    jq -r '.data.result[0].value[1] // empty'
}

PREDICT=$SFSG_BIN/sfsg-predict

# The plan from the live server equals the plan from the same data as a CSV; several
# mountpoints make a fleet; every failure of the server is one line and exit 8; a real
# node_exporter scraped by the same Prometheus is read back.
case_live_source() {
  need prometheus; need promtool; need prometheus-node-exporter
  local end=$(( $(date +%s) / 3600 * 3600 - 3600 ))
  python3 "$HERE/history.py" "$T" "$end"
  promtool tsdb create-blocks-from openmetrics --max-block-duration=2000h "$T/history.om" \
    "$T/tsdb" >"$T/promtool.log" 2>&1 || fail "promtool backfill"
  local node_port; node_port=$(free_port)
  start node_exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port" \
    --collector.disable-defaults --collector.filesystem --collector.diskstats \
    --collector.filesystem.mount-points-exclude='^/(proc|sys|dev)($|/)' \
    --collector.filesystem.fs-types-exclude='^(proc|sysfs|cgroup2?|devpts|mqueue|nsfs|binfmt_misc|fusectl|fuse\..*)$'
  start_prometheus live "$node_port"

  note "live /srv and /data against the same history as CSV"
  local v
  for v in srv data; do
    "$PREDICT" --usage "$PROM" --select mountpoint=/$v --select instance=h1:9100 --horizon 30d \
      --json >"$T/live-$v.json" || fail "live plan of /$v"
    "$PREDICT" --usage "$T/$v.csv" --horizon 30d --json >"$T/csv-$v.json" || fail "csv plan of /$v"
    diff <(jq -S 'del(.created_unix)' "$T/live-$v.json") \
         <(jq -S 'del(.created_unix)' "$T/csv-$v.json") >"$T/diff.log" ||
      fail "/$v: the live plan differs from the CSV plan ($(head -c 300 "$T/diff.log"))"
    [ "$(jq '.storage.current_bytes > 0' "$T/live-$v.json")" = true ] || fail "/$v: no storage plan"
  done

  note "fleet: both mountpoints of h1 in one plan, worst first"
  "$PREDICT" --usage "$PROM" --select instance=h1:9100 --horizon 30d --lead-time 30d \
    --increment 100GiB --cost-per-tib 40 --json --report "$T/fleet.html" >"$T/fleet.json" ||
    fail "fleet plan"
  [ "$(jq -r '[.volumes[].volume] | join(" ")' "$T/fleet.json")" = "/srv /data" ] ||
    fail "fleet order: $(jq -c '[.volumes[].volume]' "$T/fleet.json")"
  [ "$(jq -r '.volumes[0].procurement.order_by_unix != null' "$T/fleet.json")" = true ] ||
    fail "no order-by date for /srv"
  # The same two volumes from two CSV files give the same ranking and the same plans.
  "$PREDICT" --usage "$T/data.csv" --usage "$T/srv.csv" --horizon 30d --json >"$T/fleet-csv.json"
  diff <(jq -S '[.volumes[].plan | del(.created_unix)]' "$T/fleet.json") \
       <(jq -S '[.volumes[].plan | del(.created_unix)]' "$T/fleet-csv.json") >/dev/null ||
    fail "the fleet from CSVs differs from the live fleet"
  grep -c '<tr class="volume' "$T/fleet.html" | grep -qx 2 || fail "HTML: not one row per volume"
  awk '/\/srv/ && !s { s = NR } /\/data/ && !d { d = NR } END { exit !(s && d && s < d) }' \
    "$T/fleet.html" || fail "HTML: /srv (the worst) is not first"

  note "failures: one line, exit 8, naming the URL and the query"
  local rc out
  check_remote() {
    local want=$1; shift
    set +e; out=$("$PREDICT" "$@" 2>&1 >/dev/null); rc=$?; set -e
    [ "$rc" -eq 8 ] || fail "exit $rc (want 8) for $*: $out"
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "not one line: $out"
    case $out in *"$want"*) ;; *) fail "'$want' not in: $out" ;; esac
  }
  check_remote "$PROM: query_range 'node_filesystem_size_bytes{mountpoint=\"/none\"}' returned no series" \
    --usage "$PROM" --select mountpoint=/none
  check_remote "bad_data" --usage "$PROM" --select 'mountpoint=~('
  local dead; dead=$(free_port)
  check_remote "http://127.0.0.1:$dead: query_range 'node_filesystem_size_bytes'" \
    --usage "http://127.0.0.1:$dead"

  note "node_exporter scraped live: its filesystems read back through the API"
  scraped() { [ "$(instant 'count_over_time(node_filesystem_size_bytes{job="live"}[1m])')" -ge 12 ]; }
  wait_for 60 scraped || fail "node_exporter was not scraped 12 times"
  # The root filesystem when node_exporter reports it (a container's may be left out).
  local mnt; mnt=$(curl -sf --get "$PROM/api/v1/query" \
    --data-urlencode 'query=node_filesystem_size_bytes{job="live"}' |
    jq -r '[.data.result[].metric.mountpoint] | if index("/") then "/" else .[0] end')
  "$PREDICT" --usage "$PROM" --select job=live --select "mountpoint=$mnt" --range 12s --step 1s \
    --horizon 10s --json >"$T/node.json" || fail "plan from node_exporter's live series of $mnt"
  # The filesystem changes while it is scraped: compare at the plan's last sample.
  local at; at=$(jq .origin_unix "$T/node.json")
  local size; size=$(instant "node_filesystem_size_bytes{job=\"live\",mountpoint=\"$mnt\"}" "$at")
  local free; free=$(instant "node_filesystem_free_bytes{job=\"live\",mountpoint=\"$mnt\"}" "$at")
  local avail; avail=$(instant "node_filesystem_avail_bytes{job=\"live\",mountpoint=\"$mnt\"}" "$at")
  [ "$(jq --argjson c "$((size - free + avail))" '.storage.capacity_bytes == $c' "$T/node.json")" = true ] ||
    fail "capacity of $mnt is not size - free + avail ($(jq .storage.capacity_bytes "$T/node.json"))"
}

# The rules file passes promtool; the dashboard is valid JSON whose queries name only
# metrics sfsg serves (checked against a live /metrics in loop_scrape_alert).
case_rules_and_dashboard() {
  need promtool
  promtool check rules "$SFSG_SOURCE/scripts/prometheus/sfsg-rules.yml" >"$T/check.log" 2>&1 ||
    fail "promtool check rules: $(cat "$T/check.log")"
  jq -e '.panels | length > 0 and all(.[]; (.targets | length) > 0)' \
    "$SFSG_SOURCE/scripts/prometheus/sfsg-dashboard.json" >/dev/null ||
    fail "the dashboard is not valid JSON with panels and queries"
}

# usage_csv FILE START_FRACTION GROWTH_PER_DAY: 20 days of hourly usage of a 1 TB volume.
usage_csv() {
  python3 - "$@" <<'PY'
import sys, time
path, start, growth = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
end = int(time.time()) // 3600 * 3600
with open(path + ".tmp", "w") as f:
    f.write("timestamp,used_bytes,capacity_bytes,files,capacity_files\n")
    for h in range(480):
        t = end - (479 - h) * 3600
        f.write(f"{t},{int(1e12 * (start + growth * h / 24))},{int(1e12)},{1000 + h},{10**6}\n")
PY
  mv "$1.tmp" "$1"
}

# The loop serves its gauges on --metrics-listen, Prometheus scrapes them and answers a
# query for one; an alert the loop raises reaches Alertmanager and is resolved there.
case_loop_scrape_alert() {
  need prometheus; need prometheus-alertmanager; need fusermount3
  [ -w /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }
  : "${SFSG_MOUNT:?}"
  local am_port metrics_port mnt=$T/mnt state=$T/state
  am_port=$(free_port); metrics_port=$(free_port)
  cat >"$T/alertmanager.yml" <<YML
route: {receiver: log, group_wait: 0s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: log}]
YML
  start alertmanager prometheus-alertmanager --config.file="$T/alertmanager.yml" \
    --storage.path="$T/am" --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address=
  local AM=http://127.0.0.1:$am_port
  start_prometheus sfsg "$metrics_port"
  wait_for 30 curl -sf "$AM/-/ready" || fail "alertmanager did not become ready"

  # Used at 55% of a 1 TB volume, growing 1%/day (75% now): the 80% threshold in about 5 days,
  # under the 30-day alert.
  usage_csv "$T/usage.csv" 0.55 0.01
  mkdir -p "$mnt"
  MOUNTS+=("$mnt")
  start sfsg-mount "$SFSG_MOUNT" -f --files 1000 --watch "$T/usage.csv" --interval 1s \
    --no-stress --no-adjust --state-dir "$state" --horizon 30d \
    --metrics-listen "127.0.0.1:$metrics_port" --alertmanager "$AM" "$mnt"

  note "the loop's gauges over HTTP, scraped by Prometheus and queried back"
  wait_for 60 grep -q '^sfsg_forecast_storage_capacity_bytes ' "$mnt/.sfsg/metrics" ||
    fail "no forecast gauges in /.sfsg/metrics"
  curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$T/served" || fail "GET /metrics"
  local want; want=$(grep '^sfsg_forecast_storage_capacity_bytes ' "$mnt/.sfsg/metrics")
  grep -qxF "$want" "$T/served" || fail "/metrics lacks '$want'"
  diff <(grep -v '^sfsg_uptime_seconds\|^sfsg_forecast_created' "$T/served" | sed 's/ .*//' | sort -u) \
       <(grep -v '^sfsg_uptime_seconds\|^sfsg_forecast_created' "$mnt/.sfsg/metrics" | sed 's/ .*//' | sort -u) \
       >/dev/null || fail "/metrics and /.sfsg/metrics serve different series"
  got() {
    local v; v=$(instant 'sfsg_forecast_storage_capacity_bytes{job="sfsg"}')
    [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v == 1e12) }'
  }
  wait_for 30 got || fail "Prometheus: sfsg_forecast_storage_capacity_bytes = '$(instant 'sfsg_forecast_storage_capacity_bytes')'"
  # Every sfsg metric the rules and the dashboard use for the mount is served.
  local name
  for name in $(grep -oh 'sfsg_[a-z_]*' "$SFSG_SOURCE/scripts/prometheus/sfsg-rules.yml" \
                  "$SFSG_SOURCE/scripts/prometheus/sfsg-dashboard.json" | sort -u); do
    case $name in
      sfsg_procurement_*|sfsg_forecast_throughput_headroom_ratio) continue ;;  # sfsg-predict; with a curve
      sfsg_forecast_storage_recent_rate_threshold_seconds|sfsg_forecast_storage_recent_rate_changed) continue ;;  # absent: recent_linear chosen, or past
    esac
    grep -q "^${name}[{ ]" "$T/served" || grep -q "^${name}_bucket[{ ]" "$T/served" ||
      [ "$name" = sfsg_operation_latency_seconds_bucket ] ||
      fail "the rules or dashboard use $name, which /metrics does not serve"
  done

  note "the alert fires in Alertmanager with its routing labels"
  alert() { curl -sf "$AM/api/v2/alerts" | jq -e --arg m "$mnt" \
    '.[] | select(.labels.alertname == "storage_days_to_full" and .labels.service == "sfsg"
                  and .labels.mountpoint == $m and .labels.severity == "warning"
                  and .status.state == "active")' >/dev/null; }
  wait_for 60 alert || fail "no storage_days_to_full alert in Alertmanager: $(curl -s "$AM/api/v2/alerts")"

  note "and resolves when the usage stops growing"
  usage_csv "$T/usage.csv" 0.10 0
  gone() { ! alert; }
  wait_for 60 gone || fail "the alert did not resolve: $(curl -s "$AM/api/v2/alerts")"
  grep -q '"state":"resolved"' "$state/alerts.jsonl" || fail "the loop did not record the resolution"
}

case "${1:-}" in
  live_source|rules_and_dashboard|loop_scrape_alert) "case_$1" ;;
  *) echo "usage: $0 CASE" >&2; exit 2 ;;
esac
echo PASS
