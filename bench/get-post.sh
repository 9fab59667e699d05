#!/usr/bin/env bash
# Benchmark: throughput and p99 latency of GET /api/posts/{id} with a warm cache, measured with wrk
# against the running API (AppHost in local mode, Release build, dashboard and OTLP export on).
#
#   bench/get-post.sh                 one configuration, as shipped
#   bench/get-post.sh VAR=value ...   a second configuration in the same run: the environment
#                                     variables given are set for the app (e.g. OTEL_SDK_DISABLED=true),
#                                     phases alternate A B A B and the report gives B/A as a ratio.
# Results: artifacts/bench/get-post.txt (summary) and artifacts/bench/wrk-*.txt (raw wrk output).
# Knobs: BENCH_DURATION (default 15s), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_ROUNDS (2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh" test >/dev/null

duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-2}
api=http://localhost:5480
out="$root/artifacts/bench"
mkdir -p "$out"
rm -f "$out"/wrk-*.txt
summary="$out/get-post.txt"
# Benchmarks measure the service, not its abuse limits (RateLimiting:Enabled, README).
export RateLimiting__Enabled=false

dotnet build Blog.sln -c Release --nologo -v quiet >/dev/null

apphost_pid=""
stop_app() {
  if [ -n "$apphost_pid" ]; then
    kill -TERM "$apphost_pid" 2>/dev/null || true
    wait "$apphost_pid" 2>/dev/null || true
    apphost_pid=""
  fi
}
trap stop_app EXIT

# Starts the AppHost with the given extra environment, waits for the API, creates and warms one post.
start_app() {
  local data
  data=$(mktemp -d /tmp/blog-bench-XXXXXX)
  chmod 755 "$data"
  env "$@" dotnet run --project Blog.AppHost -c Release --no-build --launch-profile http -- \
    Blog:Infrastructure=local "Blog:Local:DataDirectory=$data" >"$out/apphost.log" 2>&1 &
  apphost_pid=$!
  for _ in $(seq 1 180); do
    curl -sf "$api/health" >/dev/null 2>&1 && break
    sleep 1
  done
  curl -sf "$api/health" >/dev/null || { echo "API did not become healthy; see $out/apphost.log" >&2; exit 1; }

  local email="bench-$RANDOM$RANDOM@example.test" password="benchmark-password-1" token
  curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"displayName\":\"Bench\",\"password\":\"$password\"}" "$api/api/users" >/dev/null
  token=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$api/api/auth/login" \
    | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
  post_id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"title":"Benchmark post","body":"A body of moderate length for the benchmark."}' "$api/api/posts" \
    | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
  [ -n "$post_id" ] || { echo "could not create the benchmark post" >&2; exit 1; }
  for _ in $(seq 1 200); do curl -sf "$api/api/posts/$post_id" >/dev/null; done
}

# Runs wrk once; prints "requests_per_second p99_ms".
measure() {
  local label=$1 file
  file="$out/wrk-$label.txt"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$api/api/posts/$post_id" >"$file"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$file")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$file")
  echo "$rps $p99"
}

declare -a a_rps=() a_p99=() b_rps=() b_p99=()
for round in $(seq 1 "$rounds"); do
  start_app
  read -r rps p99 < <(measure "a-$round"); a_rps+=("$rps"); a_p99+=("$p99")
  stop_app
  if [ "$#" -gt 0 ]; then
    start_app "$@"
    read -r rps p99 < <(measure "b-$round"); b_rps+=("$rps"); b_p99+=("$p99")
    stop_app
  fi
done

mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.1f", s/NR}'; }
{
  echo "GET /api/posts/{id}, warm cache: wrk -t$threads -c$connections -d$duration --latency (rounds: $rounds)"
  echo "A (as shipped):      requests/s ${a_rps[*]}  mean $(mean "${a_rps[@]}");  p99 ms ${a_p99[*]}  mean $(mean "${a_p99[@]}")"
  if [ "$#" -gt 0 ]; then
    echo "B ($*): requests/s ${b_rps[*]}  mean $(mean "${b_rps[@]}");  p99 ms ${b_p99[*]}  mean $(mean "${b_p99[@]}")"
    echo "throughput ratio A/B: $(awk -v a="$(mean "${a_rps[@]}")" -v b="$(mean "${b_rps[@]}")" 'BEGIN {printf "%.3f", a/b}')"
  fi
} | tee "$summary"
