#!/usr/bin/env bash
# Sets up prerequisites, builds, and runs the whole test suite against the real AppHost.
# Ends with one line: "tests: N passed, N failed", counted from the TRX results of the run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh" test || exit 1

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build Blog.sln -c Release --nologo || { echo "tests: 0 passed, 1 failed"; exit 1; }

# A package with a known vulnerability fails the run. The tests still run (their results stay useful), and the
# check counts as one failed test in the summary line, so that line never reads "0 failed" on a failed run.
package_check_failed=0
"$root/scripts/check-packages.sh" || package_check_failed=1

dotnet test Blog.Tests/Blog.Tests.csproj -c Release --no-build --nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "tests: 0 passed, $(( 1 + package_check_failed )) failed"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
count() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
passed=$(count passed)
failed=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
total=$(count total)
executed=$(count executed)
not_run=$(( total - executed ))
# A test that did not run (a skip, a crash of the host) counts as failed: a missing server must never pass.
failed=$(( failed + not_run + package_check_failed ))
if [ "$passed" -eq 0 ] || [ "$failed" -gt 0 ]; then status=1; fi
# CI keeps only the tail of the output: name each failed test and the start of its message just above the summary.
if [ "$failed" -gt 0 ]; then
  python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Passed", "NotExecuted"):
        continue
    message = r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
    print(f"FAILED {r.get('testName')} [{r.get('duration')}]")
    for line in message.splitlines()[:6]:
        print(f"    {line[:300]}")
PY
fi
echo "tests: $passed passed, $failed failed"
exit $status
