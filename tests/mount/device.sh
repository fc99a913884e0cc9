#!/usr/bin/env bash
# sfsg-mount --device: fio against a shadow that answers at a device model's times, bad
# models refused, writes through every overlay mode timed, the control files.
# No timed assertion: the shape is checked with wide ratio bounds (a one-server device
# gives QD16 no more than QD1; a sixteen-server one served by two FUSE threads gives QD16
# far more than two threads could if they waited) and with the emulator's counters.
# Usage: device.sh CASE
source "$(dirname "$0")/lib.sh"

OPTS=seed=42,files=200,bytes=2G

largest_file() {
  (cd "$1" && find . -path ./.sfsg -prune -o -type f -printf '%s %p\n') |
    sort -n | tail -n 1 | cut -d' ' -f2-
}

fio_json() { sed -n '/^{/,$p' "$1" | jq -r "$2"; }

# look_up_all MNT: a stat of every file (each name's lookup done before a timed run).
look_up_all() {
  find "$1" -path "$1/.sfsg" -prune -o -type f -print0 | xargs -0 stat >/dev/null ||
    fail "stat of the shadow's files"
}

# fio_iops OUT FILE JOBS DEPTH: 4 KiB random direct reads for one second; prints IOPS.
fio_iops() {
  local out=$1 file=$2 jobs=$3 depth=$4
  (cd "$T" && fio --output-format=json --output="$out" --name=r --filename="$file" \
    --readonly --rw=randread --bs=4k --direct=1 --ioengine=libaio --iodepth="$depth" \
    --numjobs="$jobs" --group_reporting --time_based --runtime=1 --size=64M) ||
    fail "fio: exit $?"
  [ "$(fio_json "$out" '[.jobs[].error] | add')" = 0 ] || fail "fio reported an error"
  fio_json "$out" '.jobs[0].read.iops | floor'
}

# metric MNT NAME: a value from /.sfsg/metrics (current when the file is opened).
metric() {
  awk -v n="$2" '$1 == n { print int($2) }' "$1/.sfsg/metrics"
}

# metric_at_least MNT NAME N: the metric has reached N (for wait_until: read each poll).
metric_at_least() {
  local v
  v=$(metric "$1" "$2")
  [ -n "$v" ] && [ "$v" -ge "$3" ]
}

# ratio A B: A/B with two decimals, for messages and bounds.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# One server at 1 ms: about 1000 IOPS whatever the depth (a device, not memory).
case_device_one_server() {
  command -v fio >/dev/null || skip "fio is not installed"
  command -v jq >/dev/null || skip "jq is not installed"
  local m f qd1 qd16
  write_model "$T/model.json" 1000 1
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS" --device "$T/model.json"
  f=$(largest_file "$m")
  qd1=$(fio_iops "$T/qd1.json" "$m/$f" 1 1)
  qd16=$(fio_iops "$T/qd16.json" "$m/$f" 1 16)
  note "1 ms x 1 server: QD1 $qd1 IOPS, QD16 $qd16 IOPS (ratio $(ratio "$qd16" "$qd1"))"
  # Never faster than the model (a reply is never sent before its time, less the timer's
  # learned wake-up margin): 1000 IOPS, with room for the margin.
  # Never faster than the model at any depth (QD1 may be slower: a loaded machine wakes
  # the timer late, which no bound here assumes away).
  [ "$qd1" -le 1100 ] || fail "QD1 gave $qd1 IOPS, more than the model's 1000"
  [ "$qd16" -le 1100 ] || fail "QD16 gave $qd16 IOPS on one emulated server"
  local ios
  ios=$(($(fio_json "$T/qd1.json" '.jobs[0].read.total_ios') + $(fio_json "$T/qd16.json" '.jobs[0].read.total_ios')))
  wait_until 5 metric_at_least "$m" sfsg_device_ops_total "$ios" ||
    fail "the emulator served $(metric "$m" sfsg_device_ops_total) requests, fio read $ios times"
  # Each took the model's 1 ms on the server, and at QD16 they queued for it.
  local ops service queue
  ops=$(awk '$1 == "sfsg_device_ops_total" { print $2 }' "$m/.sfsg/metrics")
  service=$(awk '$1 == "sfsg_device_service_seconds_total" { print $2 }' "$m/.sfsg/metrics")
  queue=$(awk '$1 == "sfsg_device_queue_seconds_total" { print $2 }' "$m/.sfsg/metrics")
  note "emulator: $ops device ops, $service s of service, $queue s queued"
  awk -v s="$service" -v n="$ops" 'BEGIN { exit !(n > 0 && s / n > 0.00099 && s / n < 0.00101) }' ||
    fail "mean emulated service $service s / $ops ops is not the model's 1 ms"
  awk -v q="$queue" 'BEGIN { exit !(q > 0) }' || fail "no request queued for the one server at QD16"
  metric_at_least "$m" sfsg_device_delayed_replies_total 1 || fail "no reply was delayed"
}

# Sixteen servers at 1 ms behind two FUSE threads: QD16 gets far more than two threads
# holding a request each could give (2000 IOPS), so delays do not hold workers.
case_device_parallel_servers() {
  command -v fio >/dev/null || skip "fio is not installed"
  command -v jq >/dev/null || skip "jq is not installed"
  local m f qd1 qd16
  write_model "$T/model.json" 1000 16
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS" --threads 2 --device "$T/model.json"
  f=$(largest_file "$m")
  qd1=$(fio_iops "$T/qd1.json" "$m/$f" 1 1)
  qd16=$(fio_iops "$T/qd16.json" "$m/$f" 1 16)
  note "1 ms x 16 servers, 2 FUSE threads: QD1 $qd1 IOPS, QD16 $qd16 IOPS (ratio $(ratio "$qd16" "$qd1"))"
  [ "$qd1" -le 1100 ] || fail "QD1 gave $qd1 IOPS, more than the model's 1000"
  awk -v r="$(ratio "$qd16" "$qd1")" 'BEGIN { exit !(r > 3) }' ||
    fail "QD16/QD1 = $(ratio "$qd16" "$qd1") with 16 servers (two held threads give at most 2)"
  # The what-if: the same model scaled to one server.
  local s
  s=$(new_mountpoint s)
  mount_shadow "$s" -o "$OPTS" --device "$T/model.json" --device-scale parallelism=0.0625
  qd16=$(fio_iops "$T/s16.json" "$s/$f" 1 16)
  note "scaled to parallelism x 1/16: QD16 $qd16 IOPS"
  [ "$qd16" -le 1100 ] || fail "--device-scale parallelism=0.0625 left QD16 at $qd16 IOPS"
  [ "$(json_field "$s/.sfsg/status" .device.servers)" = 1 ] || fail "status does not say 1 server"
}

# Writes are timed through every overlay mode; metadata too; the status names the model.
case_device_writes_and_status() {
  local mode m before after
  write_model "$T/model.json" 200 1 ', "metadata": {"create": {"kind": "constant", "us": 300}, "stat": {"kind": "constant", "us": 50}}'
  mkdir -p "$T/overlay"
  for mode in discard memory "dir:$T/overlay"; do
    m=$(new_mountpoint "m${mode%%:*}")
    mount_shadow "$m" -o "$OPTS" --writes "$mode" --device "$T/model.json"
    wait_until 5 metric_at_least "$m" sfsg_device_requests_total 0 || fail "no device gauges"
    before=$(metric "$m" sfsg_device_ops_total)
    dd if=/dev/zero of="$m/new-file" bs=4k count=20 oflag=direct status=none ||
      fail "dd through --writes $mode"
    # 20 writes and a create, each on the device.
    wait_until 5 metric_at_least "$m" sfsg_device_ops_total $((before + 21)) ||
      fail "--writes $mode: device ops $before -> $(metric "$m" sfsg_device_ops_total), expected +21"
    note "--writes $mode: device ops $before -> $(metric "$m" sfsg_device_ops_total)"
    expect_eq "$(json_field "$m/.sfsg/status" .device.model)" "$T/model.json" "status device.model"
    expect_eq "$(json_field "$m/.sfsg/status" .device.name)" "test 200us x1" "status device.name"
    grep -q '^sfsg_device_cache_hit_ratio ' "$m/.sfsg/metrics" || fail "no cache hit ratio gauge"
    grep -q '^sfsg_device_queue_depth ' "$m/.sfsg/metrics" || fail "no queue depth gauge"
    unmount_shadow "$m"
  done
  # Without --device: no device in the status, no gauges.
  m=$(new_mountpoint plain)
  mount_shadow "$m" -o "$OPTS"
  expect_eq "$(json_field "$m/.sfsg/status" .device)" null "status device without --device"
  ! grep -q '^sfsg_device_' "$m/.sfsg/metrics" || fail "device gauges without --device"
}

# A malformed or impossible model is refused at mount: exit 4 naming the field.
case_device_bad_models() {
  local m out
  m=$(new_mountpoint m)
  expect_refused() {
    local code=$1 field=$2
    shift 2
    local rc=0
    out=$("$SFSG_MOUNT" -o "$OPTS" "$@" "$m" 2>&1) || rc=$?
    [ "$rc" = "$code" ] || fail "$*: exit $rc, expected $code ($out)"
    grep -qF -- "$field" <<<"$out" || fail "$*: the error does not name $field: $out"
    is_mounted "$m" && fail "$*: mounted anyway"
    note "refused (exit $rc): $out"
  }
  write_model "$T/zero.json" 100 0
  expect_refused 4 "servers: zero parallelism" --device "$T/zero.json"
  write_model "$T/negative.json" -5 1
  expect_refused 4 "data.read.sequential[0].service.us: negative time" --device "$T/negative.json"
  write_model "$T/format.json" 100 1
  sed -i 's/"sfsg-device"/"sfsg-curve"/' "$T/format.json"
  expect_refused 4 "format.json.format" --device "$T/format.json"
  write_model "$T/version.json" 100 1
  sed -i 's/"version": 1/"version": 2/' "$T/version.json"
  expect_refused 5 "version.json.version: 2 is not supported" --device "$T/version.json"
  echo '{"format": "sfsg-device", ' >"$T/broken.json"
  expect_refused 4 "broken.json" --device "$T/broken.json"
  expect_refused 3 "missing.json" --device "$T/missing.json"
  write_model "$T/good.json" 100 1
  expect_refused 2 "--device-scale" --device "$T/good.json" --device-scale iops=0
  expect_refused 2 "--device-scale" --device "$T/good.json" --device-scale speed=2
  expect_refused 2 "--device-scale" --device-scale parallelism=2
  expect_refused 2 "--device-cache" --device "$T/good.json" --device-cache 1G
  expect_refused 4 "zero.json" -o "device=$T/zero.json"
  expect_refused 2 "--device-floor: unknown class 'seek'" --device "$T/good.json" \
    --device-floor 40us:seek=1us
  expect_refused 2 "is not in [0, 1s]" --device "$T/good.json" --device-floor stat=2s
  expect_refused 2 "'read' is given twice" --device "$T/good.json" \
    --device-floor read=1us,read=2us
}

# --device-floor per operation class: the status shows each class's floor, -o keeps the
# ':' list whole, and a bare duration is the default the classes override.
case_device_floor_per_class() {
  local m
  write_model "$T/model.json" 200 1
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS,device-floor=40us:write=55us:metadata=20us:stat=25us" \
    --device "$T/model.json"
  python3 - "$m/.sfsg/status" <<'PY' || fail "floor_us_by_class: $(cat "$m/.sfsg/status")"
import json, sys
f = json.load(open(sys.argv[1]))["device"]["floor_us_by_class"]
assert (f["read"], f["write"], f["stat"], f["create"], f["readdir"]) == (40, 55, 25, 20, 20), f
PY
  expect_eq "$(json_field "$m/.sfsg/status" .device.floor_us)" 40 "status device.floor_us"
  head -c 65536 "$m/$(largest_file "$m")" >/dev/null || fail "reads through a per-class floor"
}


# sfsg-replay against a device-timed shadow: the curve carries the device requests per
# file operation its ladder caused, and sfsg-predict maps diskstats demand with it.
case_device_replay_curve_maps_demand() {
  local m now i
  [ -x "${SFSG_BIN:-}/sfsg-replay" ] && [ -x "$SFSG_BIN/sfsg-predict" ] ||
    { echo "sfsg-replay or sfsg-predict not built"; exit 77; }
  write_model "$T/model.json" 100 4
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS" --device "$T/model.json"
  "$SFSG_BIN/sfsg-replay" --quiet --target "$m" --ladder 1,2 --step 0.5s --warmup 0.1s \
    -o "$T/curve.json" >/dev/null || fail "sfsg-replay against the device-timed shadow"
  python3 - "$T/curve.json" <<'PY' || fail "curve device: $(jq -c .device "$T/curve.json")"
import json, sys
d = json.load(open(sys.argv[1]))["device"]
assert d["model"] == "test 100us x4" and 0 < d["requests_per_file_op"] < 100, d
PY
  now=$(date +%s)
  {
    echo "timestamp,used_bytes,capacity_bytes,read_ops,write_ops,read_bytes,write_bytes"
    for i in $(seq 0 200); do
      echo "$((now - (200 - i) * 600)),$((1000000 + i * 1000)),100000000,$((i * 60000)),$((i * 30000)),$((i * 60000 * 4096)),$((i * 30000 * 4096))"
    done
  } >"$T/usage.csv"
  "$SFSG_BIN/sfsg-predict" --usage "$T/usage.csv" --curve "$T/curve.json" \
    --device "$T/model.json" --slo p99=20ms --horizon 7d --json >"$T/plan.json" ||
    fail "sfsg-predict on the replayed curve"
  python3 - "$T/plan.json" <<'PY' || fail "plan unit: $(jq -c .performance.device.unit "$T/plan.json")"
import json, sys
d = json.load(open(sys.argv[1]))
u = d["performance"]["device"]["unit"]
assert u["mapping"] == "measured" and u["comparable"] is True, u
assert "test 100us x4" in u["mapping_statement"], u
# One unit: the date demand reaches the limit is computed (the limit itself depends on
# this machine's speed, so it is not checked).
assert d["performance"]["demand"]["threshold_reached"] is not None, d["performance"]["demand"]
assert d["device_candidates"]["status"] == "evaluated", d["device_candidates"]
PY
  # A plain shadow: no device, so the curve carries none.
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS"
  "$SFSG_BIN/sfsg-replay" --quiet --target "$m" --ladder 1 --step 0.3s --warmup 0.1s \
    -o "$T/plain.json" >/dev/null || fail "sfsg-replay against a plain shadow"
  [ "$(jq -r .device "$T/plain.json")" = null ] || fail "a plain shadow's curve has a device"
}

# Each rung of a device-timed ladder records the model's share of its calls' time: near
# 1 on a slow model (50 ms a read), near 0 on a model that costs nothing, where the rungs
# describe the shadow, and sfsg-predict says its sustainable figure is a lower bound.
# The share is a measurement: the shadow's own path adds to every call what a loaded
# machine or a sanitizer makes it (6 ms a call under ThreadSanitizer beside a compiler),
# so the slow model is slow enough that such a path leaves its share above 0.7; each end
# of a step may count one call per worker in the model's time and not in the calls'.
case_device_replay_records_model_share() {
  local m
  [ -x "${SFSG_BIN:-}/sfsg-replay" ] && [ -x "$SFSG_BIN/sfsg-predict" ] ||
    { echo "sfsg-replay or sfsg-predict not built"; exit 77; }
  cat >"$T/reads.json" <<'JSON'
{"format": "sfsg-workload", "version": 1, "origin": "test: 4 KiB reads",
 "mix": {"read": 1, "write": 0, "create": 0, "unlink": 0, "stat": 0, "readdir": 0},
 "read_sizes": [{"bytes": 4096, "weight": 1}], "write_sizes": [{"bytes": 4096, "weight": 1}],
 "sequential_fraction": 0, "zipf_theta": 1.5,
 "hourly_shape": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
 "arrival": "poisson", "mean_ops_per_s": 100, "peak_ops_per_s": 100,
 "rate_scale": 1.0, "files_scale": 1.0}
JSON
  m=$(new_mountpoint m)
  write_model "$T/slow.json" 50000 1
  mount_shadow "$m" -o "$OPTS" --device "$T/slow.json"
  # Names looked up first: with a model a listing leaves each name's first lookup to the
  # shadow's own path, which a sanitizer build slows to milliseconds; this case measures
  # the reads.
  look_up_all "$m"
  # Reads through descriptors kept open (a few files take most reads), after a warm-up
  # long enough for the daemon's first threads: the calls are the model's reads, not what
  # a sanitizer build makes slow (its first step's share was 0.69-0.85 with 0.1 s).
  "$SFSG_BIN/sfsg-replay" --quiet --target "$m" --workload "$T/reads.json" --ladder 1,2 \
    --step 1.5s --warmup 0.5s --keep-open 64 -o "$T/slow-curve.json" >/dev/null ||
    fail "sfsg-replay (slow model)"
  unmount_shadow "$m"
  note "slow model's shares: $(jq -c '[.steps[].device.model_share]' "$T/slow-curve.json")"
  python3 - "$T/slow-curve.json" <<'PY' || fail "slow model's shares: $(jq -c '[.steps[].device]' "$T/slow-curve.json")"
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    d = s["device"]
    assert d["model_seconds"] > 0 and 0.7 <= d["model_share"] <= 1.15, d
PY
  write_model "$T/zero.json" 0 1024
  mount_shadow "$m" -o "$OPTS" --device "$T/zero.json"
  look_up_all "$m"
  "$SFSG_BIN/sfsg-replay" --quiet --target "$m" --workload "$T/reads.json" --ladder 1,2,4 \
    --step 0.4s --warmup 0.1s -o "$T/zero-curve.json" >/dev/null || fail "sfsg-replay (zero model)"
  python3 - "$T/zero-curve.json" <<'PY' || fail "zero model's shares: $(jq -c '[.steps[].device]' "$T/zero-curve.json")"
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    assert s["device"]["model_share"] < 0.5, s["device"]
PY
  "$SFSG_BIN/sfsg-predict" --curve "$T/zero-curve.json" --device "$T/zero.json" --slo p99=20ms \
    --json >"$T/zero-plan.json" || fail "sfsg-predict on the zero model's curve"
  python3 - "$T/zero-plan.json" <<'PY' || fail "plan: $(jq -c '.performance | {sustainable_lower_bound, shadow_timed_steps}' "$T/zero-plan.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["performance"]
assert p["sustainable_lower_bound"] is True and len(p["shadow_timed_steps"]) == 3, p
assert d["low_confidence"] is True
assert any("describe sfsg, not the device" in w for w in d["warnings"]), d["warnings"]
PY
  "$SFSG_BIN/sfsg-predict" --curve "$T/zero-curve.json" --device "$T/zero.json" \
    --slo p99=20ms | grep -q "sustainable *at least" || fail "the table does not say 'at least'"
}

# Inode records (cache.inodes): a listing and stats of a fresh shadow read the records of
# the inodes they name, a run of them per miss; without the field nothing is read.
case_device_inode_records() {
  local m n files hit='[{"size_bytes": 4096, "service": {"kind": "constant", "us": 1}}]'
  write_model "$T/inodes.json" 100 4 ", \"cache\": {\"size_bytes\": 1048576, \"read_hit\": $hit,
    \"inodes\": {\"per_miss\": 16, \"reads_per_miss\": 1, \"ios_per_miss\": 2}}"
  write_model "$T/plain.json" 100 4 ", \"cache\": {\"size_bytes\": 1048576, \"read_hit\": $hit}"
  m=$(new_mountpoint m)
  mount_shadow "$m" -o "$OPTS" --device "$T/inodes.json"
  files=$(find "$m" -path "$m/.sfsg" -prune -o -type f -print | wc -l)
  look_up_all "$m"
  wait_until 5 metric_at_least "$m" sfsg_device_inode_misses_total 1 ||
    fail "no inode record was read ($files files listed and stat'ed)"
  n=$(metric "$m" sfsg_device_inode_misses_total)
  note "$files files: $n inode misses (runs of 16)"
  # At most one miss per run of 16 inode numbers the files span (the cache holds them all).
  [ "$n" -le $((files / 16 + 16)) ] || fail "$n inode misses for $files files in runs of 16"
  unmount_shadow "$m"
  mount_shadow "$m" -o "$OPTS" --device "$T/plain.json"
  look_up_all "$m"
  [ "$(metric "$m" sfsg_device_inode_misses_total)" = 0 ] ||
    fail "a model without inode records read $(metric "$m" sfsg_device_inode_misses_total)"
}

# With a device model a listing creates no dentries (readdirplus entries without node
# ids, as a real getdents looks nothing up): each listed file's first stat is a LOOKUP the
# model sees. Without a model the listing's attributes answer the stats in the kernel.
case_device_listing_leaves_lookups() {
  local m dir n before after
  write_model "$T/model.json" 1 4 ""
  for with in device plain; do
    m=$(new_mountpoint "$with")
    if [ "$with" = device ]; then
      mount_shadow "$m" -o "$OPTS" --device "$T/model.json"
    else
      mount_shadow "$m" -o "$OPTS"
    fi
    dir=$(find "$m" -path "$m/.sfsg" -prune -o -type f -printf '%h\n' | sort | uniq -c |
      sort -rn | awk 'NR == 1 { print $2 }')
    n=$(find "$dir" -maxdepth 1 -type f | wc -l)
    [ "$n" -ge 5 ] || fail "no directory with 5 files to list ($n in $dir)"
    ls -f "$dir" >/dev/null
    before=$(lookups "$m")
    find "$dir" -maxdepth 1 -type f -print0 | xargs -0 stat >/dev/null
    after=$(lookups "$m")
    note "$with: $n files listed, then stat'ed: $((after - before)) lookups"
    if [ "$with" = device ]; then
      [ $((after - before)) -ge "$n" ] || fail "with a model, $((after - before)) lookups for $n stats after a listing"
    else
      [ $((after - before)) -lt "$n" ] || fail "without a model, the listing's attributes were not kept ($((after - before)) lookups for $n stats)"
    fi
    unmount_shadow "$m"
  done
}
lookups() { awk -F'[ ]' '$1 == "sfsg_operations_total{op=\"lookup\"}" { print $2 }' "$1/.sfsg/metrics"; }

run_case "$@"
