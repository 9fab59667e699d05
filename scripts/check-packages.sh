#!/usr/bin/env bash
# Fails (exit 1) when any NuGet package of the solution, direct or transitive, has a known vulnerability
# according to the configured package sources' vulnerability data, or when that cannot be checked.
# Usage: scripts/check-packages.sh [solution-or-project [dotnet list options...]]   (default: Blog.sln)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-"$root/Blog.sln"}
shift || true

report=$(dotnet list "$target" package --vulnerable --include-transitive --format json "$@" 2>&1)
status=$?
if [ $status -ne 0 ]; then
  echo "$report"
  echo "package check: FAILED: 'dotnet list package --vulnerable' could not run (exit $status); vulnerabilities unknown." >&2
  exit 1
fi

# Each vulnerable package appears in the JSON report with a "vulnerabilities" array.
if grep -q '"vulnerabilities"' <<<"$report"; then
  dotnet list "$target" package --vulnerable --include-transitive "$@" 2>&1 | grep -E '^(Project|   \[|   >|   Top|   Transitive)' || echo "$report"
  echo "package check: FAILED: vulnerable NuGet packages (above). Update them in Directory.Packages.props, or pin a fixed transitive version there." >&2
  exit 1
fi

echo "package check: no vulnerable NuGet packages (direct or transitive)."

# The check sees only what the sources publish. Say so when none of them publishes vulnerability data (NuGet's
# VulnerabilityInfo resource, or an auditSources entry in nuget.config), instead of passing silently.
published=0
while read -r source; do
  curl -fsS --max-time 20 "$source" 2>/dev/null | grep -q '"VulnerabilityInfo/' && published=1
done < <(dotnet nuget list source --format short 2>/dev/null | awk '$1 ~ /^E/ && $2 ~ /^https?:/ { print $2 }')
if [ $published -eq 0 ] && ! grep -qs '<auditSources>' "$root/nuget.config" "$HOME/.nuget/NuGet/NuGet.Config"; then
  echo "package check: WARNING: no package source here publishes vulnerability data, so this check could not see any vulnerability." >&2
fi
