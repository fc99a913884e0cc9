# sfsg-replay against real shadows: the ladder, open-loop queueing, iolog replay, the
# emitted fio job, fio json+ import, fio client/server across two shadows, bad inputs.
# Usage: replay.sh CASE (CTest sets SFSG_MOUNT and SFSG_REPLAY).
source "$(dirname "$0")/../mount/lib.sh"

: "${SFSG_REPLAY:?SFSG_REPLAY must name the sfsg-replay binary}"
REPLAY=$(readlink -f "$SFSG_REPLAY")
command -v jq >/dev/null || skip "jq is not installed"

# Shadow options every case shares: a shadow and a Namespace built with them agree.
SHADOW=(--seed 7 --files 20000 --writes memory:512M)
SERVERS=()

stop_servers() {
  local pid
  for pid in "${SERVERS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  done
  SERVERS=()
}
# lib.sh's cleanup takes the exit status from $?: hand it over without tripping set -e
# (which also applies inside this trap).
replay_cleanup() {
  local rc=$?
  stop_servers
  if [ "$rc" -eq 0 ]; then
    cleanup
  else
    (exit "$rc") || cleanup
  fi
}
trap replay_cleanup EXIT

# jq_ok FILE FILTER WHAT: fails the test unless FILTER is true on FILE.
jq_ok() {
  jq -e "$2" "$1" >/dev/null || fail "$3 ($(jq -c "$2" "$1" 2>&1 | head -c 300))"
}

status_field() { jq -r "$2" "$1/.sfsg/status"; }

write_workload() {  # NAME JSON
  echo "$2" >"$T/$1.json"
  echo "$T/$1.json"
}

R4K='{"format":"sfsg-workload","version":1,"mix":{"read":1},
      "read_sizes":[{"bytes":4096,"weight":1}],"sequential_fraction":0,"zipf_theta":0.9}'

no_scratch_left() {
  if compgen -G "$1/.sfsg-replay-*" >/dev/null; then fail "scratch left in $1"; fi
}

# terminate_once_started PID WHAT DIR: once PID's scratch directory exists under DIR, a
# SIGTERM ends it by the signal (exit 143) with the scratch directory removed.
terminate_once_started() {
  local pid=$1 what=$2 dir=$3 rc=0
  wait_until 10 compgen -G "$dir/.sfsg-replay-*" || fail "$what: no scratch directory appeared"
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  expect_eq "$rc" 143 "$what: dies of SIGTERM"
  no_scratch_left "$dir"
}

# A known workload: 4 KiB random reads of 16 hot files with descriptors kept open.
case_ladder_shadow() {
  local mnt pid w before
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" "${SHADOW[@]}"
  pid=$(daemon_pid "$mnt")
  before=$(ls -A "$mnt" | md5sum)
  w=$(write_workload r4k "$R4K")
  "$REPLAY" --target "$mnt" --workload "$w" --hot-files 16 --keep-open 16 --ladder 1,2 \
    --step 1s --warmup 0.3s --fs-pid "$pid" --out "$T/r4k.json" -q
  jq_ok "$T/r4k.json" '.format == "sfsg-curve" and (.steps | length) == 2' "two steps"
  jq_ok "$T/r4k.json" '[.steps[].total.errors] == [0, 0]' "no errors"
  # Little's law holds at any machine speed: in a closed loop, throughput x mean latency
  # is the concurrency (a little less: the replayer's own time between requests). Whether
  # two workers beat one depends on spare cores, so that is a benchmark, not a test.
  jq_ok "$T/r4k.json" '.steps | all(.concurrency as $n | .total.ops_per_s *
    .total.latency_us.mean * 1e-6 | . > 0.5 * $n and . < 1.05 * $n)' \
    "throughput x mean latency = concurrency (Little's law)"
  jq_ok "$T/r4k.json" '.steps | all(.total.latency_us | .p50 <= .p90 and .p90 <= .p99 and
    .p99 <= .p999 and .p999 <= .max)' "ordered percentiles"
  jq_ok "$T/r4k.json" ".steps | all(.filesystem.pid == $pid and .filesystem.cpu_percent > 0 and
    .filesystem.rss_bytes > 0 and .replayer.cpu_percent > 0)" "filesystem and replayer usage"
  jq_ok "$T/r4k.json" '.steps | all((.per_op | keys) == ["read"] and
    (.per_op.read.bytes_per_s / .per_op.read.ops_per_s) == 4096)' "4 KiB reads only"
  # The built-in mix: every operation, writes only in the scratch directory, removed after.
  local written0 written1
  written0=$(status_field "$mnt" .bytes_written)
  "$REPLAY" --target "$mnt" --ladder 2 --step 1s --warmup 0.2s --out "$T/mix.json" -q
  written1=$(status_field "$mnt" .bytes_written)
  jq_ok "$T/mix.json" '.steps[0].per_op | keys == ["create","read","readdir","stat","unlink","write"]' \
    "the built-in mix runs all six operations"
  jq_ok "$T/mix.json" '.steps[0].total.errors == 0' \
    "no errors in the mix: $(jq -c '.steps[0].per_op | map_values(.errors)' "$T/mix.json")"
  [ "$written1" -gt "$written0" ] || fail "the mix wrote nothing"
  no_scratch_left "$mnt"
  expect_eq "$(ls -A "$mnt" | md5sum)" "$before" "top level of the shadow after the runs"
  expect_eq "$(status_field "$mnt" .overlay.bytes_used)" 0 "overlay bytes after cleanup"
}

# Open loop: below capacity latency is service time; at three times capacity the sends
# queue and latency, measured from the intended send time, grows by orders of magnitude.
case_open_loop_queueing() {
  local mnt w capacity low high
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" "${SHADOW[@]}" --threads 1
  w=$(write_workload big '{"format":"sfsg-workload","version":1,"mix":{"read":1},
      "read_sizes":[{"bytes":1048576,"weight":1}],"sequential_fraction":0}')
  "$REPLAY" --target "$mnt" --workload "$w" --hot-files 4 --keep-open 4 --ladder 1 \
    --step 1s --warmup 0.2s --out "$T/cap.json" -q
  capacity=$(jq '.steps[0].total.ops_per_s' "$T/cap.json")
  low=$(jq -n "$capacity / 4 | ceil")
  high=$(jq -n "$capacity * 3 | ceil")
  note "capacity $capacity ops/s; open loop at $low and $high ops/s"
  "$REPLAY" --target "$mnt" --workload "$w" --hot-files 4 --keep-open 4 --rates "$low,$high" \
    --max-concurrency 1 --step 1s --warmup 0.2s --out "$T/open.json" -q
  jq -r '.steps[] | "# offered \(.offered_ops_per_s) done \(.total.ops_per_s) p50 \(.total.latency_us.p50) us p99 \(.total.latency_us.p99) us"' "$T/open.json"
  jq_ok "$T/open.json" '[.steps[].mode] == ["open","open"]' "two open-loop steps"
  jq_ok "$T/open.json" ".steps[0].offered_ops_per_s == $low" "offered rate recorded"
  jq_ok "$T/open.json" '.steps[0].total.errors == 0' "no errors below capacity"
  jq_ok "$T/open.json" '.steps[1].total.latency_us.p50 > 10 * .steps[0].total.latency_us.p50' \
    "p50 latency includes queueing above capacity"
  jq_ok "$T/open.json" '.steps[1].total.latency_us.p99 > 100000' \
    "p99 above capacity is at least 100 ms of queueing"
  no_scratch_left "$mnt"
}

# fio records an iolog (write_iolog) on the shadow; the replay makes the same operations.
case_iolog_counts() {
  command -v fio >/dev/null || skip "fio is not installed"
  local mnt files written0 written1 op expected
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" "${SHADOW[@]}"
  # Two hot files of 1 MiB or more (the built-in workload's largest request).
  "$REPLAY" --target "$mnt" --emit-fio "$T/hot.fio" --fio-files 2
  files=$(sed -n 's/^filename=//p' "$T/hot.fio")
  cat >"$T/trace.fio" <<JOB
[trace]
directory=$mnt
filename=$files
allow_file_create=0
rw=randrw
rwmixread=70
bs=4k
number_ios=300
fsync=50
write_iolog=$T/trace.log
JOB
  fio --output="$T/trace-out.txt" "$T/trace.fio" || fail "fio write_iolog run"
  head -n 1 "$T/trace.log" | grep -qx "fio version [23] iolog" || fail "fio wrote no iolog"
  (cd "$mnt" && sha256sum ${files//:/ }) >"$T/before.sha"
  written0=$(status_field "$mnt" .bytes_written)
  "$REPLAY" --target "$mnt" --iolog "$T/trace.log" --out "$T/iolog.json" -q
  written1=$(status_field "$mnt" .bytes_written)
  for op in read write sync open close; do
    expected=$(awk -v op="$op" '$(NF) == op || $(NF-2) == op' "$T/trace.log" | wc -l)
    [ "$expected" -gt 0 ] || fail "the trace has no $op"
    jq_ok "$T/iolog.json" ".steps[0].per_op.$op.ops == $expected" "$op count equals the trace's ($expected)"
  done
  jq_ok "$T/iolog.json" '.steps[0].total.errors == 0' "iolog replay without errors"
  # The shadow's own process is measured, as in a ladder run (its pid from /.sfsg/status).
  jq_ok "$T/iolog.json" ".steps[0].filesystem.pid == $(daemon_pid "$mnt") and
    .steps[0].filesystem.rss_bytes > 0" "the filesystem process measured"
  # The replay's writes went to its scratch files: the traced files are as fio left them.
  (cd "$mnt" && sha256sum -c --quiet "$T/before.sha") || fail "the replay modified a traced file"
  expected=$(awk '$(NF-2) == "write" { s += $NF } END { print s }' "$T/trace.log")
  expect_eq "$((written1 - written0))" "$expected" "bytes written by the replay"
  no_scratch_left "$mnt"
  # A timed replay of the same trace reproduces the same counts.
  "$REPLAY" --target "$mnt" --iolog "$T/trace.log" --timed --out "$T/timed.json" -q
  jq_ok "$T/timed.json" "[.steps[0].per_op.read.ops] == [$(jq '.steps[0].per_op.read.ops' "$T/iolog.json")]" \
    "timed replay counts"
}

# The emitted job runs unchanged in fio: no error, no layout phase (the bytes the shadow
# saw written are exactly fio's own writes), and its json+ output imports as a curve.
# With the default 64 files the list is longer than fio's 4096-character limit on an
# option value: it is split over several filename= lines, which fio adds up.
case_fio_emit_clean() {
  command -v fio >/dev/null || skip "fio is not installed"
  local mnt written0 written1 fio_written entries
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" "${SHADOW[@]}"
  entries=$(status_field "$mnt" .entries)
  "$REPLAY" --target "$mnt" --emit-fio "$T/job.fio" --fio-runtime 2s 2>"$T/emit.err"
  [ ! -s "$T/emit.err" ] || fail "emit-fio warned: $(cat "$T/emit.err")"
  grep -q '^allow_file_create=0$' "$T/job.fio" || fail "job file lacks allow_file_create=0"
  awk -F= '/^filename=/ { if (length($2) >= 4096) long = 1; n += split($2, f, ":") }
    END { exit long || n != 64 }' "$T/job.fio" ||
    fail "filename= lines: want 64 files, each line under 4096 characters: $(awk -F= '/^filename=/ { print length($2) }' "$T/job.fio" | tr '\n' ' ')"
  written0=$(status_field "$mnt" .bytes_written)
  fio --output-format=json+ --output="$T/fio.json" "$T/job.fio" || fail "fio exit $?"
  written1=$(status_field "$mnt" .bytes_written)
  jq_ok "$T/fio.json" '.jobs | length == 2 and all(.error == 0)' "fio jobs without error"
  # fio opened every listed file (its json+ does not list them: ask the shadow's reads).
  jq_ok "$T/fio.json" '[.jobs[].read.io_bytes] | add > 0' "fio read"
  fio_written=$(jq '[.jobs[].write.io_bytes] | add' "$T/fio.json")
  [ "$fio_written" -gt 0 ] || fail "fio wrote nothing"
  expect_eq "$((written1 - written0))" "$fio_written" "bytes written: fio's writes and nothing else"
  expect_eq "$(status_field "$mnt" .entries)" "$entries" "entries after fio"
  "$REPLAY" --import-fio "$T/fio.json" --out "$T/curve.json" >/dev/null
  jq_ok "$T/curve.json" '.source == "fio" and (.steps | length) == 1' "one step from one group"
  jq_ok "$T/curve.json" '.steps[0] | .mode == "open" and .offered_ops_per_s == 150 and
    .concurrency == 2 and .total.ops > 0 and (.per_op | has("read") and has("write")) and
    .total.latency_us.p99 > 0' "imported step"
}

# A shadow with fewer files of at least the largest request (1 MiB) than --fio-files asks
# for (an unscaled /usr/share has 55): the job lists those there are, with a warning, and
# fio runs it.
case_fio_emit_few_large_files() {
  command -v fio >/dev/null || skip "fio is not installed"
  local mnt listed
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" --seed 7 --files 1500 --writes memory:256M
  "$REPLAY" --target "$mnt" --emit-fio "$T/job.fio" --fio-runtime 1s 2>"$T/emit.err" ||
    fail "emit-fio with few large files: exit $? ($(cat "$T/emit.err"))"
  listed=$(awk -F= '/^filename=/ { n += split($2, f, ":") } END { print n + 0 }' "$T/job.fio")
  [ "$listed" -gt 0 ] && [ "$listed" -lt 64 ] || fail "$listed files listed"
  grep -q "warning: only $listed regular files.*not 64" "$T/emit.err" ||
    fail "no warning naming the count: $(cat "$T/emit.err")"
  [ "$(wc -l <"$T/emit.err")" = 1 ] || fail "more than one line on stderr: $(cat "$T/emit.err")"
  grep -q "^# Files: the $listed most popular" "$T/job.fio" || fail "the job's comment"
  fio --output-format=json --output="$T/fio.json" "$T/job.fio" || fail "fio exit $?"
  jq_ok "$T/fio.json" '.jobs | all(.error == 0)' "fio jobs without error"
}

# /proc/net/tcp lists PORT as listening (state 0A)?
listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# Two fio servers on loopback ports, each in its own shadow of the same profile and seed,
# one fio client: the merged json+ results import as one curve.
case_fio_multi_host() {
  command -v fio >/dev/null || skip "fio is not installed"
  local a b port1 port2 dir
  a=$(new_mountpoint host-a)
  b=$(new_mountpoint host-b)
  mount_shadow "$a" "${SHADOW[@]}"
  mount_shadow "$b" "${SHADOW[@]}"
  port1=$((20000 + RANDOM % 20000))
  port2=$((port1 + 1))
  for dir in "$a" "$b"; do
    local port=$port1
    [ "$dir" = "$b" ] && port=$port2
    listening "$port" && skip "port $port is busy"
    (cd "$dir" && exec fio --server=ip:127.0.0.1,"$port") >"$T/server-$port.log" 2>&1 &
    SERVERS+=($!)
  done
  wait_until 10 listening "$port1" || fail "fio server on $port1 did not start"
  wait_until 10 listening "$port2" || fail "fio server on $port2 did not start"
  # One job file for both hosts: names relative to each server's shadow.
  "$REPLAY" --target "$a" --emit-fio "$T/job.fio" --fio-directory . --fio-files 16 \
    --fio-runtime 2s --fio-no-rate --workload <(echo "$R4K")
  timeout 60 fio --output-format=json+ --output="$T/multi.json" \
    --client=ip:127.0.0.1,"$port1" "$T/job.fio" --client=ip:127.0.0.1,"$port2" "$T/job.fio" \
    || fail "fio --client exit $?"
  stop_servers
  "$REPLAY" --import-fio "$T/multi.json" --out "$T/multi-curve.json" >/dev/null
  local host_ops
  host_ops=$(sed -n '/^{/,$p' "$T/multi.json" |
    jq '[.client_stats[] | select(.jobname != "All clients") | .read.total_ios] | add')
  jq_ok "$T/multi-curve.json" '(.steps | length) == 1 and .steps[0].concurrency == 2' \
    "one step, two hosts' jobs"
  jq_ok "$T/multi-curve.json" ".steps[0].total.ops == $host_ops and .steps[0].total.errors == 0" \
    "ops are the sum of both hosts ($host_ops)"
  jq_ok "$T/multi-curve.json" '.workload | contains("2 host")' "merged over two hosts"
  [ "$(status_field "$a" .bytes_read)" -gt 0 ] || fail "host a read nothing"
  [ "$(status_field "$b" .bytes_read)" -gt 0 ] || fail "host b read nothing"
}

# A real directory for calibration: the replayer lays out, runs and removes its own files
# and never touches the others.
case_plain_directory() {
  local dir=$T/plain sum
  mkdir -p "$dir/keep"
  head -c 100000 /dev/urandom >"$dir/keep/data"
  sum=$(sha256sum "$dir/keep/data")
  "$REPLAY" --target "$dir" --files 4 --file-size 256k --ladder 1,2 --rates 200 \
    --step 0.5s --warmup 0.1s --out "$T/plain.json" -q
  jq_ok "$T/plain.json" '[.steps[].mode] == ["closed","closed","open"]' "ladder then rates"
  jq_ok "$T/plain.json" '.steps | all(.total.errors == 0 and .total.ops > 0)' "all steps ran"
  expect_eq "$(sha256sum "$dir/keep/data")" "$sum" "a file the replayer did not create"
  expect_eq "$(ls -A "$dir")" "keep" "what is left in the target"
}

case_bad_inputs() {
  local mnt plain=$T/plain
  mkdir -p "$plain"
  echo x >"$T/file"
  expect_rc 2 "a file as target" "$REPLAY" --target "$T/file" -q
  expect_rc 2 "a missing target" "$REPLAY" --target "$T/missing" -q
  expect_rc 2 "no target" "$REPLAY" -q
  expect_rc 2 "unknown option" "$REPLAY" --target "$plain" --bogus
  expect_rc 2 "zero concurrency" "$REPLAY" --target "$plain" --ladder 0 -q
  expect_rc 2 "emit-fio without a shadow" "$REPLAY" --target "$plain" --emit-fio "$T/j.fio"
  echo '{"format":"sfsg-workload","version":1,"mix":{"read":0.5}}' >"$T/bad-mix.json"
  "$REPLAY" --target "$plain" --workload "$T/bad-mix.json" 2>"$T/err" && fail "bad mix accepted"
  expect_rc 4 "bad workload" "$REPLAY" --target "$plain" --workload "$T/bad-mix.json"
  grep -q "bad-mix.json.mix" "$T/err" || fail "error does not name the field: $(cat "$T/err")"
  echo '{"format": ' >"$T/broken.json"
  expect_rc 4 "malformed workload" "$REPLAY" --target "$plain" --workload "$T/broken.json"
  printf 'fio version 2 iolog\nf add\nf open\nf read 0 4096\nf jump 0 1\n' >"$T/bad.log"
  "$REPLAY" --target "$plain" --iolog "$T/bad.log" 2>"$T/err" && fail "bad iolog accepted"
  expect_rc 4 "bad iolog" "$REPLAY" --target "$plain" --iolog "$T/bad.log"
  grep -q "bad.log:5" "$T/err" || fail "error does not name the line: $(cat "$T/err")"
  expect_rc 3 "missing iolog" "$REPLAY" --target "$plain" --iolog "$T/none.log"
  echo '{"jobs": []}' >"$T/nojobs.json"
  expect_rc 4 "fio output without jobs" "$REPLAY" --import-fio "$T/nojobs.json"
  expect_rc 4 "not fio output" "$REPLAY" --import-fio "$T/bad.log"
  # A shadow named with the wrong seed: refused before anything is sent.
  mnt=$(new_mountpoint shadow)
  mount_shadow "$mnt" "${SHADOW[@]}"
  expect_rc 2 "wrong seed" "$REPLAY" --target "$mnt" --seed 8 --files 20000 --ladder 1 -q
  no_scratch_left "$mnt"
  expect_eq "$(ls -A "$plain")" "" "nothing created by refused runs"
}

# bad_option WHAT OPTION VALUE ARGS...: sfsg-replay exits 2 with one line naming the option and its
# value. The timeout guards against a run that never ends (a wrapped -1 once did).
bad_option() {
  local what=$1 option=$2 value=$3 rc=0
  shift 3
  timeout -s KILL 20 "$REPLAY" "$@" -q >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2 ($(head -c 300 "$T/err"))"
  expect_eq "$(wc -l <"$T/err")" 1 "$what: one line of error"
  grep -qF -- "$option" "$T/err" || fail "$what: error does not name $option: $(cat "$T/err")"
  grep -qF -- "'$value'" "$T/err" || fail "$what: error does not name '$value': $(cat "$T/err")"
}

# Every numeric option refuses negatives and out-of-range values, whatever the mode.
case_bad_numbers() {
  local plain=$T/plain
  mkdir -p "$plain"
  local run=(--target "$plain" --step 200ms --warmup 0s)
  bad_option "negative concurrency" --max-concurrency -1 "${run[@]}" --max-concurrency -1
  bad_option "zero concurrency" --max-concurrency 0 "${run[@]}" --max-concurrency 0
  bad_option "huge concurrency" --max-concurrency 5000 "${run[@]}" --max-concurrency 5000
  bad_option "negative keep-open" --keep-open -1 "${run[@]}" --keep-open -1
  bad_option "negative hot-files" --hot-files -1 "${run[@]}" --hot-files -1
  bad_option "empty ladder" --ladder "" "${run[@]}" --ladder ""
  bad_option "ladder rung too big" --ladder 1e20 "${run[@]}" --ladder 1,1e20
  bad_option "negative ladder rung" --ladder -2 "${run[@]}" --ladder -2
  bad_option "no such fs process" --fs-pid 999999999 "${run[@]}" --fs-pid 999999999
  bad_option "negative numjobs" --fio-numjobs -1 --emit-fio - --seed 7 --fio-numjobs -1
  bad_option "negative iodepth" --fio-iodepth -1 --emit-fio - --seed 7 --fio-iodepth -1
  bad_option "negative fio files" --fio-files -1 --emit-fio - --seed 7 --fio-files -1
  bad_option "zero fio files" --fio-files 0 --emit-fio - --seed 7 --fio-files 0
  # Paths: an empty one is refused; the curve's file is checked before a minute-long
  # run, not after it (the 20 s timeout would kill a run that started).
  local rc=0
  timeout -s KILL 20 "$REPLAY" "${run[@]}" --out "" -q >/dev/null 2>"$T/err" || rc=$?
  expect_eq "$rc $(cat "$T/err")" "2 sfsg-replay: --out: an empty path (use '-' for stdout)" \
    "empty --out"
  rc=0
  timeout -s KILL 20 "$REPLAY" --target "$plain" --ladder 1 --step 60s --out "$T/missing/c.json" -q \
    >/dev/null 2>"$T/err" || rc=$?
  expect_eq "$rc $(cat "$T/err")" \
    "3 sfsg-replay: $T/missing/c.json: cannot create: No such file or directory" \
    "--out in a missing directory"
  expect_eq "$(ls -A "$plain")" "" "nothing created by refused runs"
}

# SIGTERM, like SIGINT, ends a run with its scratch directory removed, ladder or iolog.
case_sigterm_cleans_up() {
  local plain=$T/plain
  mkdir -p "$plain"
  "$REPLAY" --target "$plain" --ladder 1 --step 60s -q >/dev/null 2>"$T/err" &
  terminate_once_started $! ladder "$plain"
  printf 'fio version 2 iolog\nf add\nf open\nf write 0 4096\nf close\n' >"$T/w.log"
  "$REPLAY" --target "$plain" --iolog "$T/w.log" -q >/dev/null || fail "iolog replay failed"
  # A timed trace with a long wait: the signal lands inside it.
  printf 'fio version 3 iolog\n0 f add\n0 f open\n0 f write 0 4096\n60000000 f close\n' \
    >"$T/slow.log"
  "$REPLAY" --target "$plain" --iolog "$T/slow.log" --timed -q >/dev/null 2>"$T/err" &
  terminate_once_started $! iolog "$plain"
}

# A write error on stdout (a full disk) is exit 3 with one line, never a silent success.
case_stdout_write_error() {
  [ -w /dev/full ] || skip "no /dev/full"
  cat >"$T/fio.json" <<'JSON'
{"fio version": "fio-3.33", "jobs": [{"jobname": "a", "groupid": 0, "error": 0,
 "job options": {"iodepth": "2"},
 "read": {"io_bytes": 40960, "bw_bytes": 40960, "iops": 10, "runtime": 1000, "total_ios": 10,
          "clat_ns": {"N": 10, "mean": 1500, "max": 3000, "bins": {"1000": 5, "2000": 5}}}}]}
JSON
  "$REPLAY" --import-fio "$T/fio.json" --out - >/dev/null 2>&1 || fail "fio import failed"
  local what rc
  for what in import emit help; do
    rc=0
    case $what in
      import) "$REPLAY" --import-fio "$T/fio.json" --out - >/dev/full 2>"$T/err" || rc=$? ;;
      emit) "$REPLAY" --emit-fio - --seed 7 >/dev/full 2>"$T/err" || rc=$? ;;
      help) "$REPLAY" --help >/dev/full 2>"$T/err" || rc=$? ;;
    esac
    expect_eq "$rc" 3 "$what to /dev/full: exit status"
    # (the curve table goes to stderr with --out -; the error is the last line)
    expect_eq "$(tail -n 1 "$T/err")" "sfsg-replay: stdout: write error" "$what to /dev/full: message"
  done
}

run_case "$@"
