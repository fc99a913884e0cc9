#!/usr/bin/env bash
# The HTML capacity report, rendered for real: sfsg-predict --report on the NAB series
# and a curve, then headless Chromium takes a screenshot, which must not be blank.
# Usage: report.sh   (SFSG_BIN: the build's bin/; exit 77 when Chromium is missing)
set -euo pipefail
: "${SFSG_BIN:?}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/sfsg-report-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed"; exit 77; }
# 60 days of hourly used bytes, growing with a daily cycle and noise, and a capacity.
awk 'BEGIN { srand(7); print "timestamp,used_bytes,capacity_bytes"
  for (i = 0; i < 1440; i++) { h = i % 24
    printf "%d,%.0f,%.0f\n", 1.7e9 + i * 3600, 4e11 + i * 2.5e8 + ((h >= 9 && h < 18) ? 3e9 : 0) + rand() * 1e9, 1e12 } }' \
  > "$T/usage.csv"
"$SFSG_BIN/sfsg-predict" --usage "$T/usage.csv" --curve "$ROOT/predictor/testdata/curve.json" \
  --horizon 90d --report "$T/report.html" > "$T/table.txt"
[ -s "$T/report.html" ] || { echo "FAIL: no report written"; exit 1; }
grep -q "<svg" "$T/report.html" || { echo "FAIL: the report has no chart"; exit 1; }
if grep -Eq '(src|href)="https?://' "$T/report.html"; then
  echo "FAIL: the report is not self-contained"; exit 1
fi
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$T/profile" --window-size=1200,1600 --screenshot="$T/shot.png" \
  "file://$T/report.html" >/dev/null 2>&1 || true
[ -s "$T/shot.png" ] || { echo "FAIL: chromium wrote no screenshot"; exit 1; }
python3 "$(dirname "$0")/png_check.py" "$T/shot.png" 50 || { echo "FAIL: the screenshot is blank"; exit 1; }
echo "PASS: report rendered and not blank"
