#!/usr/bin/env bash
# Fails (exit 1) when any NuGet package of the solution, direct or transitive, has a known vulnerability
# according to the configured package sources' vulnerability data, or when that cannot be checked.
# Usage: scripts/check-packages.sh [solution-or-project]   (default: Blog.sln)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-"$root/Blog.sln"}

report=$(dotnet list "$target" package --vulnerable --include-transitive --format json 2>&1)
status=$?
if [ $status -ne 0 ]; then
  echo "$report"
  echo "package check: FAILED: 'dotnet list package --vulnerable' could not run (exit $status); vulnerabilities unknown." >&2
  exit 1
fi

# Each vulnerable package appears in the JSON report with a "vulnerabilities" array.
if grep -q '"vulnerabilities"' <<<"$report"; then
  dotnet list "$target" package --vulnerable --include-transitive 2>&1 | grep -E '^(Project|   \[|   >|   Top|   Transitive)' || echo "$report"
  echo "package check: FAILED: vulnerable NuGet packages (above). Update them in Directory.Packages.props, or pin a fixed transitive version there." >&2
  exit 1
fi

echo "package check: no vulnerable NuGet packages (direct or transitive)."
