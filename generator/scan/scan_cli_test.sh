#!/usr/bin/env bash
# sfsg-scan and sfsg-compare end to end: outputs, exit codes, and one clear error line
# naming the culprit for every bad input.
# Usage: scan_cli_test.sh PATH/TO/sfsg-scan PATH/TO/sfsg-compare
set -uo pipefail
scan=$1
compare=$2
work=$(mktemp -d /tmp/sfsg-scan-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect CODE PATTERN CMD...: CMD exits CODE; when PATTERN is set, stderr is exactly one
# line that contains it.
expect() {
  local code=$1 pattern=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$code" ]; then
    fail "$* exited $got, expected $code; stderr: $(cat "$work/err")"
    return
  fi
  if [ -n "$pattern" ]; then
    local lines
    lines=$(wc -l <"$work/err")
    [ "$lines" = 1 ] || fail "$*: $lines lines on stderr, expected one: $(cat "$work/err")"
    grep -qF -- "$pattern" "$work/err" || fail "$*: stderr lacks '$pattern': $(cat "$work/err")"
  fi
}

# A small tree, scanned to a file and to stdout.
mkdir -p "$work/tree/a/b" "$work/tree/c"
for i in 1 2 3 4 5; do head -c $((i * 1000)) /dev/zero >"$work/tree/a/f$i.txt"; done
echo hello >"$work/tree/a/b/readme"
ln -s ../a/f1.txt "$work/tree/c/link"

expect 0 "" "$scan" "$work/tree" -o "$work/p.json" --quiet
[ -s "$work/out" ] && fail "--quiet printed: $(cat "$work/out")"
[ -s "$work/err" ] && fail "no terminal, yet progress on stderr: $(cat "$work/err")"
expect 0 "" "$scan" "$work/tree" -o "$work/p2.json"
grep -q "^wrote $work/p2.json" "$work/out" || fail "no summary on stdout: $(cat "$work/out")"
grep -q "6 files" "$work/out" || fail "summary lacks the file count: $(cat "$work/out")"
expect 0 "" "$scan" "$work/tree" --threads 1 --sample-files 0
grep -q '"format": "sfsg-profile"' "$work/out" || fail "no profile JSON on stdout"
expect 0 "" "$scan" "$work/tree" -o "$work/p3.json" --json-progress --sample-files 3 --sample-bytes 64k
grep -q '"phase":"walk".*"done":true' "$work/err" || fail "no JSON walk progress: $(cat "$work/err")"
grep -q '"phase":"content".*"done":true' "$work/err" || fail "no JSON content progress"
grep -q '"sampled_files": 3' "$work/p3.json" || fail "--sample-files 3 not honoured"
expect 0 "" "$scan" --help
grep -q -- "--cross-mounts" "$work/out" || fail "--help lacks --cross-mounts"

# Bad usage and bad paths: exit 2 or 3, one line naming the thing.
expect 2 "missing PATH" "$scan"
expect 2 "--bogus" "$scan" "$work/tree" --bogus
expect 2 "--threads" "$scan" "$work/tree" --threads 0
expect 2 "--threads" "$scan" "$work/tree" --threads many
expect 2 "--sample-bytes" "$scan" "$work/tree" --sample-bytes 12Q
expect 2 "--sample-files" "$scan" "$work/tree" --sample-files -3
expect 2 "--top-extensions" "$scan" "$work/tree" --top-extensions 0
expect 2 "contradict" "$scan" "$work/tree" --one-file-system --cross-mounts
expect 2 "one PATH only" "$scan" "$work/tree" "$work/tree"
expect 3 "$work/missing" "$scan" "$work/missing"
expect 2 "--output: an empty path" "$scan" "$work/tree" -o ""
# Where the profile goes is checked before the walk (hours on a big tree), not after:
# a tree that cannot be scanned still gets the output error.
expect 3 "$work/none/p.json: cannot create" "$scan" "$work/missing" -o "$work/none/p.json"
expect 3 "$work/tree: cannot create: Is a directory" "$scan" "$work/tree" -o "$work/tree"
expect 3 "not a directory" "$scan" "$work/tree/a/f1.txt"
expect 3 "$work/no/such/dir/p.json" "$scan" "$work/tree" -o "$work/no/such/dir/p.json"

# Compare: identical within tolerance, a different tree beyond it.
expect 0 "" "$compare" "$work/p.json" "$work/p2.json"
grep -q "within tolerance" "$work/out" || fail "compare output: $(cat "$work/out")"
expect 0 "" "$compare" "$work/p.json" "$work/p2.json" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["within"] is True; assert "size_ks" in d["distances"]' \
  "$work/out" || fail "compare --json output is not the expected JSON"
mkdir -p "$work/other/x/y/z"
for i in $(seq 1 20); do head -c $((i * 100000)) /dev/urandom >"$work/other/x/y/z/g$i.bin"; done
expect 0 "" "$scan" "$work/other" -o "$work/o.json" --quiet
expect 7 "" "$compare" "$work/p.json" "$work/o.json"
grep -q "beyond tolerance: size_ks" "$work/out" || fail "beyond output: $(cat "$work/out")"
expect 0 "" "$compare" "$work/p.json" "$work/o.json" --max-ks 1 --max-depth 1 --max-fanout 1 \
  --max-ext 1 --max-compression 100% --max-dedup 1

# Compare's bad inputs.
expect 2 "needs two profiles" "$compare" "$work/p.json"
expect 2 "--max-ks" "$compare" "$work/p.json" "$work/p2.json" --max-ks 2
expect 2 "--max-dedup" "$compare" "$work/p.json" "$work/p2.json" --max-dedup lots
expect 3 "$work/none.json" "$compare" "$work/p.json" "$work/none.json"
expect 3 "$work/tree: cannot read: is a directory" "$compare" "$work/tree" "$work/p.json"
# A FIFO nobody writes to reads as empty input instead of hanging.
mkfifo "$work/fifo"
expect 4 "$work/fifo: invalid JSON" timeout 20 "$compare" "$work/fifo" "$work/p.json"
# A verdict that cannot be written is an error, not a silent exit 0.
"$compare" "$work/p.json" "$work/p2.json" --json >/dev/full 2>"$work/err"
got=$?
[ "$got" = 3 ] && grep -q "stdout: write error" "$work/err" ||
  fail "compare to /dev/full exited $got: $(cat "$work/err")"
printf '{"format": "sfsg-profile", "version": 1,' >"$work/truncated.json"
expect 4 "$work/truncated.json: invalid JSON" "$compare" "$work/truncated.json" "$work/p.json"
python3 - "$work" <<'EOF'
import json, sys
w = sys.argv[1]
p = json.load(open(w + "/p.json"))
def write(name, change):
    q = json.loads(json.dumps(p)); change(q); json.dump(q, open(w + "/" + name, "w"))
write("format.json", lambda q: q.update(format="something-else"))
write("version.json", lambda q: q.update(version=99))
write("nofit.json", lambda q: q["sizes"].pop("fit"))
write("badfraction.json", lambda q: q["links"].update(symlink_fraction=3))
write("badcounts.json", lambda q: q["sizes"].update(log2_counts=[1, -2]))
EOF
expect 4 "format.json.format" "$compare" "$work/p.json" "$work/format.json"
expect 5 "version.json.version: 99" "$compare" "$work/p.json" "$work/version.json"
expect 4 "nofit.json.sizes.fit: missing field" "$compare" "$work/nofit.json" "$work/p.json"
expect 4 "badfraction.json.links.symlink_fraction" "$compare" "$work/p.json" "$work/badfraction.json"
expect 4 "badcounts.json.sizes.log2_counts[1]" "$compare" "$work/p.json" "$work/badcounts.json"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "scan_cli_test: all passed"
