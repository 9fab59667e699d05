#!/usr/bin/env bash
# Measures the time from the README's run command (scripts/run.sh) to every resource healthy: the API and
# the web frontend answer /health with 200, which they only do once PostgreSQL and Redis are healthy
# (WaitFor in the AppHost). Run it on a clean clone for the cold figure (build included), again for warm.
# Result: artifacts/bench/startup.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/artifacts/bench"
mkdir -p "$out"
data=$(mktemp -d /tmp/blog-startup-XXXXXX)
chmod 755 "$data"

start=$(date +%s%N)
setsid scripts/run.sh "Blog:Local:DataDirectory=$data" >"$out/startup-apphost.log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT

healthy() { curl -sf -o /dev/null "http://localhost:$1/health"; }
for _ in $(seq 1 600); do
  if healthy 5480 && healthy 5490; then
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf 'scripts/run.sh to API and web /health 200 (all resources healthy): %d.%01d s\n' $((ms / 1000)) $((ms % 1000 / 100)) | tee "$out/startup.txt"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "the AppHost exited; see $out/startup-apphost.log" >&2; exit 1; }
  sleep 0.5
done
echo "not healthy after 5 minutes; see $out/startup-apphost.log" >&2
exit 1
