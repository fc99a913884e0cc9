#!/bin/bash
# The alert rule names sfsg-mount's man page gives (the Alertmanager alertname list and
# every rule it names with "Alert"/"rule"/"No ... alert") are the names the loop's rules
# have in forecaster.cc (MakeRules), as /.sfsg/alerts and Alertmanager show them.
# usage: alert_names_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: alert_names_test.sh SOURCE_DIR}
man=$src/man/sfsg-mount.8
code=$src/fuse/forecaster/forecaster.cc
fail() { echo "FAIL: $*" >&2; exit 1; }

in_code=$(grep -o 'rules.push_back({"[a-z_0-9]*"' "$code" | sed 's/.*{"//; s/"$//' | sort -u)
[ -n "$in_code" ] || fail "no rule names found in $code"

# The alertname list: "\fBalertname\fR (the rule, as in ...: a, b, c)", over several lines.
listed=$(tr '\n' ' ' <"$man" | grep -o 'fBalertname\\fR (the rule[^)]*)' |
  sed 's/.*: //; s/)$//' | tr ',' '\n' | tr -d ' ' | grep . | sort -u)
[ -n "$listed" ] || fail "no alertname list in $man"
[ "$listed" = "$in_code" ] ||
  fail "the man page's alertname list ($(echo $listed)) is not the code's rules ($(echo $in_code))"

# Every rule named in bold next to "Alert", "rule" or "alert" is one of the code's.
named=$(tr '\n' ' ' <"$man" |
  grep -oE '(Alert|rule|No) \\fB[a-z_0-9]+\\fR|\\fB[a-z_0-9]+\\fR (alert|rule)' |
  grep -oE '\\fB[a-z_0-9]+\\fR' | sed 's/\\fB//; s/\\fR//' | sort -u)
for name in $named; do
  echo "$in_code" | grep -qx "$name" || fail "the man page names the rule '$name', which the code does not have"
done
echo "ok: $(echo $in_code)"
