#!/bin/bash
# Command-line tests of sfsg-meter's bad inputs: outputs that are not plain files, cut
# and CRLF CSVs, bad options. usage: meter_cli_test.sh SFSG_METER
set -u
meter=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/cli_test_lib.sh"

one_line() {
  [ "$(wc -l <"$work/err")" -eq 1 ] || { fail "stderr is not one line: $*"; sed 's/^/  | /' "$work/err" >&2; }
  grep -q -- "$1" "$work/err" || fail "stderr lacks '$1'"
}

# A device that reads endless zeros and refuses writes: written through, never read.
expect 3 "$meter" / -n 1 -o /dev/full -q
one_line "/dev/full: write failed"
expect 0 "$meter" / -n 1 -o /dev/null -q
expect 3 "$meter" / -n 1 -o "$work" -q
one_line "is a directory"

# A FIFO: rows stream to its reader; with no reader, SIGTERM still ends the run.
mkfifo "$work/fifo"
"$meter" / -n 2 -i 0.1s -o "$work/fifo" -q 2>"$work/err" &
meter_pid=$!
head -3 "$work/fifo" >"$work/streamed"
wait "$meter_pid" || fail "meter to a FIFO exited $?"
[ "$(wc -l <"$work/streamed")" -eq 3 ] || fail "FIFO reader should see a header and 2 rows"
"$meter" / -o "$work/fifo" -q 2>"$work/err" &
meter_pid=$!
sleep 0.5
kill -TERM "$meter_pid"
for _ in $(seq 50); do kill -0 "$meter_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$meter_pid" 2>/dev/null; then
  fail "meter waiting on a FIFO ignored SIGTERM"
  kill -KILL "$meter_pid"
fi
wait "$meter_pid" 2>/dev/null

# A last row without its newline gets one before the new row; both rows stay intact.
header=timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes
printf '%s\n1,2,3' "$header" >"$work/cut.csv"
expect 0 "$meter" / -n 1 -o "$work/cut.csv" -q
[ "$(sed -n 2p "$work/cut.csv")" = "1,2,3" ] || fail "cut row was glued onto: $(sed -n 2p "$work/cut.csv")"
[ "$(wc -l <"$work/cut.csv")" -eq 3 ] || fail "cut.csv should have 3 lines"

# CRLF files are continued, not refused as a 'different header'.
printf '%s\r\n' "$header" >"$work/crlf.csv"
expect 0 "$meter" / -n 1 -o "$work/crlf.csv" -q
[ "$(grep -c $'\r$' "$work/crlf.csv")" -eq 2 ] || fail "crlf.csv rows should end in CRLF"

# A foreign header: exit 4, the file untouched.
printf 'time,size\n1,2\n' >"$work/foreign.csv"
expect 4 "$meter" / -n 1 -o "$work/foreign.csv" -q
one_line "different header ('time,size')"
[ "$(cat "$work/foreign.csv")" = $'time,size\n1,2' ] || fail "foreign.csv changed"

# --help names the columns a written file has, and how many.
expect 0 "$meter" / -n 1 -o "$work/help.csv" -q
written=$(head -1 "$work/help.csv")
expect 0 "$meter" --help
grep -qx "  $written" "$work/out" || fail "--help does not list the header written ($written): $(head -5 "$work/out")"
contains "rows of $(($(tr -cd , <<<"$written" | wc -c) + 1)) columns"

# Option errors: one line, exit 2.
expect 2 "$meter" / --bogus
one_line "bogus"
expect 2 "$meter" / -n abc
one_line "abc"
# A negative count is refused, not read as 2^64 - 3 samples (run forever).
expect 2 "$meter" / -n -3 --interval 10ms
one_line "--count"
expect 2 "$meter" / extra1 extra2
one_line "positional"
expect 2 "$meter"
one_line "PATH"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "meter CLI: all passed"
