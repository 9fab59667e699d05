#!/usr/bin/env bash
# What observability costs Blog's API, in one command (issue 9). The API runs as deployed (Release,
# Production, its own PostgreSQL and Redis processes: bench/lib/deployed.sh), exporting to a loopback
# receiver that answers like an OpenTelemetry collector (OTLP/HTTP protobuf) and like Sentry (envelopes)
# and counts what arrives (bench/Blog.Bench.Receiver). Configurations alternate within the run, each in a
# fresh API process; `baseline` is a bare Kestrel app returning the same JSON (bench/Blog.Bench.Baseline).
# For each: one warm post, 200 warm-up GETs, then wrk until tiered compilation has settled (at least
# BENCH_WARMUP seconds, default 15, at most BENCH_WARMUP_MAX, default 90, until the JIT compiles fewer than
# BENCH_JIT_SETTLED methods a second, default 50), then the measured wrk on GET /api/posts/{id} while
# /metrics is scraped every 5 s (where metrics are on) and dotnet-counters samples allocated bytes. The
# API's stdout/stderr go to a pipe read by `wc -l`, as a container runtime reads them.
#
#   bench/observability.sh
# Knobs: BENCH_ROUNDS (default 2), BENCH_DURATION (wrk -d, default 10s), BENCH_CONNECTIONS (wrk -c,
# default 32), BENCH_CONFIGS (space-separated subset of: baseline off deployed development logs otel
# sentry metrics; default all, in that order), BENCH_ENV (VAR=value pairs added to every API configuration,
# for experiments such as BENCH_ENV=Sentry__TracesSampleRate=0), BENCH_PROFILE=1 (also records a dotnet-trace thread-time
# profile of each API run and writes where its CPU went, per pillar, to <config>-<round>.profile.txt;
# profiling slows the run, so compare its figures only with each other), BENCH_PERF=1 (also records the
# API's CPU with perf, JIT frames resolved through the runtime's perf map: <config>-<round>.perf.txt).
# Results: artifacts/bench/observability.txt (report, also printed) and artifacts/bench/observability/
# (raw wrk output, dotnet-counters CSV, receiver counts, line counts, one TSV row per run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

all_configs="baseline off deployed development logs otel sentry metrics"
rounds=${BENCH_ROUNDS:-2}
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-32}
read -r -a configs <<<"${BENCH_CONFIGS:-$all_configs}"
read -r -a extra_env <<<"${BENCH_ENV:-}"
for config in "${configs[@]}"; do
  [[ " $all_configs " == *" $config "* ]] || { echo "unknown configuration '$config' (known: $all_configs)" >&2; exit 2; }
done
case $duration in
  *m) duration_s=$((${duration%m} * 60)) ;;
  *s) duration_s=${duration%s} ;;
  *) duration_s=$duration ;;
esac
[[ $rounds =~ ^[1-9][0-9]*$ && $duration_s =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS and BENCH_DURATION must be positive" >&2; exit 2; }
warmup_requests=200
warmup_s=${BENCH_WARMUP:-15}
warmup_max_s=${BENCH_WARMUP_MAX:-90}
jit_settled=${BENCH_JIT_SETTLED:-50}
scrape_interval=5

out="$root/artifacts/bench/observability"
report="$root/artifacts/bench/observability.txt"
rm -rf "$out"
mkdir -p "$out"

"$root/scripts/setup.sh" test >/dev/null
dotnet tool restore >/dev/null
echo "observability: building (Release)" >&2
dotnet build Blog.sln -c Release --nologo -v quiet >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }

# shellcheck source=bench/lib/deployed.sh
source "$root/bench/lib/deployed.sh"
receiver_pid=""
own_pids=()  # processes of the current run, newest last
stop_own() {
  local pid
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  local i
  for ((i = ${#own_pids[@]} - 1; i >= 0; i--)); do stop_own "${own_pids[$i]}"; done
  own_pids=()
  [ -n "$receiver_pid" ] && stop_own "$receiver_pid"
  deployed_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

release_dir() { echo "$root/bench/$1/bin/Release/net10.0"; }
# The bench's own apps get a clean environment too, keeping TMPDIR so dotnet-counters finds them.
plain_env=("PATH=$PATH" "HOME=${HOME:-/root}")
[ -n "${TMPDIR:-}" ] && plain_env+=("TMPDIR=$TMPDIR")

# Waits until GET $1 answers 2xx, or fails after $2 seconds.
wait_for_url() {
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "no answer from $1" >&2; return 1; }
    sleep 0.2
  done
}

# Reads one numeric key of the receiver's flat JSON.
json_number() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }

deployed_start_postgres
deployed_start_redis
receiver_port=$(deployed_free_port)
receiver="http://127.0.0.1:$receiver_port"
(cd "$(release_dir Blog.Bench.Receiver)" && exec env -i "${plain_env[@]}" \
  dotnet Blog.Bench.Receiver.dll --urls "$receiver") >"$out/receiver.log" 2>&1 &
receiver_pid=$!
wait_for_url "$receiver/counts" 60

# One post for the whole run, created through the API; its JSON is what the baseline serves.
DEPLOYED_API_SINK="" deployed_start_api OTEL_SDK_DISABLED=true Sentry__Dsn=
post_id=$(deployed_create_post)
curl -sf "$DEPLOYED_API_URL/api/posts/$post_id" >"$out/post.json"
deployed_stop_api

# Sets `env` to the environment of configuration $1 (on top of the deployed base in bench/lib/deployed.sh)
# and `scrape` to whether /metrics is served and scraped.
configure() {
  local otlp=(OTEL_EXPORTER_OTLP_ENDPOINT="$receiver" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
  local dsn="Sentry__Dsn=http://public@127.0.0.1:$receiver_port/1"
  scrape=false
  case $1 in
    baseline) env=() ;;
    off) env=(OTEL_SDK_DISABLED=true Sentry__Dsn= Logging__LogLevel__Default=Warning) ;;
    deployed) env=("${otlp[@]}" "$dsn"); scrape=true ;;
    development) env=("${otlp[@]}" "$dsn" OTEL_TRACES_SAMPLER=always_on Sentry__TracesSampleRate=1.0); scrape=true ;;
    logs) env=(OTEL_SDK_DISABLED=true Sentry__Dsn= Logging__LogLevel__Default=Information) ;;
    otel) env=("${otlp[@]}" Sentry__Dsn= Logging__LogLevel__Default=Warning); scrape=true ;;
    sentry) env=(OTEL_SDK_DISABLED=true "$dsn" Logging__LogLevel__Default=Warning) ;;
    metrics) env=(Sentry__Dsn= Logging__LogLevel__Default=Warning OTEL_TRACES_EXPORTER=none OTEL_LOGS_EXPORTER=none); scrape=true ;;
  esac
  if [ "$1" != baseline ] && [ ${#extra_env[@]} -gt 0 ]; then env+=("${extra_env[@]}"); fi
  # perf resolves JIT-compiled frames through the map file the runtime writes to /tmp.
  # (W^X double mapping would hide the code's address from it.)
  if [ "${BENCH_PERF:-0}" = 1 ] && [ "$1" != baseline ]; then env+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0); fi
}

# Starts the baseline with its output counted like the API's; sets app_pid, app_url.
start_baseline() {
  local lines_file=$1 port fifo sink
  port=$(deployed_free_port)
  fifo="$DEPLOYED_TMP/baseline-$port.out"
  mkfifo "$fifo"
  wc -l <"$fifo" >"$lines_file" &
  sink=$!
  (cd "$(release_dir Blog.Bench.Baseline)" && exec env -i "${plain_env[@]}" \
    dotnet Blog.Bench.Baseline.dll --urls "http://127.0.0.1:$port" --Baseline:PostFile="$out/post.json") >"$fifo" 2>&1 &
  app_pid=$!
  baseline_sink=$sink
  own_pids+=("$sink" "$app_pid")
  app_url="http://127.0.0.1:$port"
  wait_for_url "$app_url/api/posts/$post_id" 60
}

# CPU time (user + system, in clock ticks) process $1 has used so far: where the cores went during wrk,
# including the receiver's share, which a deployed service would not pay on its own cores.
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# Converts a wrk latency ("812.00us", "3.21ms", "1.02s") to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else printf "%.3f", v * 1000 }'; }

# Loads $2 in 5-second steps until the JIT compiles fewer than $jit_settled methods a second during a step
# (dotnet-counters' dotnet.jit.compiled_methods; it writes its file when its session ends, hence a session per
# step), for at least $warmup_s and at most $warmup_max_s seconds. Sets warm_requests; the steps and their
# rates are in <label>.warmup.txt.
warm_until_jit_settles() {
  local label=$1 url=$2 csv="$out/$1.jit.csv" elapsed=0 rate=unknown step_requests counters
  warm_requests=0
  : >"$out/$label.warmup.txt"
  while [ "$elapsed" -lt "$warmup_max_s" ]; do
    rm -f "$csv"
    dotnet tool run dotnet-counters collect -p "$app_pid" --counters 'System.Runtime[dotnet.jit.compiled_methods]' \
      --format csv -o "$csv" --refresh-interval 1 --duration 00:00:00:06 >>"$out/$label.jit.log" 2>&1 &
    counters=$!
    own_pids+=("$counters")
    sleep 1
    wrk -t1 -c"$connections" -d5s "$url" >"$out/$label.warmup-step.txt"
    wait "$counters" || true
    step_requests=$(awk '/requests in/ {print $1}' "$out/$label.warmup-step.txt")
    warm_requests=$((warm_requests + ${step_requests:-0}))
    elapsed=$((elapsed + 5))
    rate=$(awk -F, '/compiled_methods/ {s += $NF; n++} END {if (n) printf "%.0f", s / n; else print "unknown"}' "$csv" 2>/dev/null || echo unknown)
    echo "warm-up ${elapsed}s: ${step_requests:-0} requests, JIT ${rate} methods/s" >>"$out/$label.warmup.txt"
    if [ "$elapsed" -ge "$warmup_s" ] && [ "$rate" != unknown ] && [ "$rate" -lt "$jit_settled" ]; then break; fi
  done
  echo "observability: $label warmed up for ${elapsed}s; JIT ${rate} methods/s at its end" >&2
}

rows="$out/runs.tsv"
printf 'config\tround\treq/s\tp50_ms\tp99_ms\trequests\tnon2xx\tB/req\tspans\tlogrecs\tmetricexp\tsentry_tx\tsentry_ev\tlines\tscrapes\tserved\tapi_us/req\trecv_us/req\tsdk_tx_dropped\tsentry_otlp_spans\n' >"$rows"

run() {
  local config=$1 round=$2 label="$1-$2"
  local lines_file="$out/$label.lines" scrapes_file="$out/$label.scrapes" counters_file="$out/$label.counters.csv"
  configure "$config"
  echo "observability: round $round, $config" >&2
  if [ "$config" = baseline ]; then
    start_baseline "$lines_file"
  else
    DEPLOYED_API_SINK="wc -l > '$lines_file'" deployed_start_api "${env[@]}"
    app_pid=$DEPLOYED_API_PID
    app_url=$DEPLOYED_API_URL
  fi
  local url="$app_url/api/posts/$post_id"

  curl -sf -X POST -o /dev/null "$receiver/reset"
  local warm=() i
  for ((i = 0; i < warmup_requests; i++)); do warm+=(-o /dev/null "$url"); done
  [ "$(curl -s -w '%{http_code}\n' "${warm[@]}" | grep -c '^200$')" -eq "$warmup_requests" ] \
    || { echo "warm-up of $config did not answer 200 every time" >&2; return 1; }

  : >"$scrapes_file"
  local scraper=""
  if [ "$scrape" = true ]; then
    (
      pause=""
      trap 'kill "$pause" 2>/dev/null; exit 0' TERM
      while :; do
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $DEPLOYED_SCRAPE_TOKEN" "$app_url/metrics" >>"$scrapes_file"
        sleep "$scrape_interval" &
        pause=$!
        wait "$pause"
      done
    ) &
    scraper=$!
    own_pids+=("$scraper")
  fi

  # Load before measuring until tiered compilation has settled. Measured right after start-up (200 requests
  # of warm-up) a run spent a fifth of its CPU in the JIT, and `deployed` still did after 15 s of load: on
  # two saturated cores the background compiler takes 30 s or more to bring tens of thousands of methods to
  # tier 1 (perf, BENCH_PERF=1). A service runs for hours; its steady state is what this compares.
  # Scrapes run during it too: the exporter's code tiers up one scrape at a time.
  warm_until_jit_settles "$label" "$url"

  # The session spans wrk with a margin: idle seconds add a few kB, far below a run's allocations.
  dotnet tool run dotnet-counters collect -p "$app_pid" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' \
    --format csv -o "$counters_file" --refresh-interval 1 --duration "$(date -u -d "@$((duration_s + 4))" +%H:%M:%S)" \
    >"$out/$label.counters.log" 2>&1 &
  local counters=$!
  own_pids+=("$counters")
  local tracer=""
  if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$config" != baseline ]; then
    dotnet tool run dotnet-trace collect -p "$app_pid" --profile dotnet-sampled-thread-time -o "$out/$label.nettrace" \
      --duration "00:$(date -u -d "@$((duration_s + 1))" +%H:%M:%S)" >"$out/$label.trace.log" 2>&1 &
    tracer=$!
    own_pids+=("$tracer")
  fi
  sleep 2
  local perf=""
  if [ "${BENCH_PERF:-0}" = 1 ] && [ "$config" != baseline ]; then
    perf record -e cpu-clock -F 499 -g -p "$app_pid" -o "$out/$label.perf.data" -- sleep "$duration_s" \
      >"$out/$label.perf.log" 2>&1 &
    perf=$!
    own_pids+=("$perf")
  fi
  local api_ticks_before recv_ticks_before api_ticks recv_ticks
  api_ticks_before=$(cpu_ticks "$app_pid")
  recv_ticks_before=$(cpu_ticks "$receiver_pid")
  wrk -t1 -c"$connections" -d"$duration" --latency "$url" >"$out/$label.wrk.txt" &
  local load=$!
  own_pids+=("$load")
  wait "$load"
  api_ticks=$(( $(cpu_ticks "$app_pid") - api_ticks_before ))
  recv_ticks=$(( $(cpu_ticks "$receiver_pid") - recv_ticks_before ))
  if [ -n "$perf" ]; then
    wait "$perf" || { echo "perf failed; see $out/$label.perf.log" >&2; return 1; }
    perf script -i "$out/$label.perf.data" 2>>"$out/$label.perf.log" | python3 "$root/bench/lib/perf_report.py" /dev/stdin \
      >"$out/$label.perf.txt"
  fi
  if [ -n "$tracer" ]; then
    wait "$tracer" || { echo "dotnet-trace failed; see $out/$label.trace.log" >&2; return 1; }
    dotnet tool run dotnet-trace convert "$out/$label.nettrace" --format Speedscope -o "$out/$label" >>"$out/$label.trace.log" 2>&1
    python3 "$root/bench/lib/profile_report.py" "$out/$label.speedscope.json" >"$out/$label.profile.txt"
  fi
  wait "$counters" || { echo "dotnet-counters failed; see $out/$label.counters.log" >&2; return 1; }
  [ -n "$scraper" ] && stop_own "$scraper"

  # Stopping the process flushes its exporters, so the receiver's counts include the run's last batch.
  if [ "$config" = baseline ]; then
    stop_own "$app_pid"
    wait "$baseline_sink" 2>/dev/null || true
  else
    deployed_stop_api "$app_pid"
  fi
  own_pids=()
  curl -sf "$receiver/counts" >"$out/$label.counts.json"

  local wrk_file="$out/$label.wrk.txt" rps p50 p99 requests non2xx allocated scrapes served lines
  grep -q '^Requests/sec' "$wrk_file" || { echo "wrk did not finish; see $wrk_file" >&2; return 1; }
  rps=$(awk '/^Requests\/sec/ {print $2}' "$wrk_file")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$wrk_file")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$wrk_file")")
  requests=$(awk '/requests in/ {print $1}' "$wrk_file")
  [ "${requests:-0}" -gt 0 ] || { echo "wrk completed no request in $config; see $wrk_file" >&2; return 1; }
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$wrk_file")
  allocated=$(awk -F, '/total_allocated/ {s += $NF} END {printf "%.0f", s}' "$counters_file")
  scrapes=$(wc -l <"$scrapes_file")
  lines=$(cat "$lines_file")
  # Everything the process served while the receiver counted: warm-up, wrk and scrapes.
  served=$((requests + warmup_requests + warm_requests + scrapes))
  local counts="$out/$label.counts.json"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$round" "$rps" "$p50" "$p99" \
    "$requests" "${non2xx:-0}" "$((allocated / requests))" \
    "$(json_number spans "$counts")" "$(json_number logRecords "$counts")" "$(json_number otlpMetricRequests "$counts")" \
    "$(json_number sentryTransactions "$counts")" "$(json_number sentryEvents "$counts")" "$lines" "$scrapes" "$served" \
    "$(awk -v t="$api_ticks" -v hz="$clock_ticks" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')" \
    "$(awk -v t="$recv_ticks" -v hz="$clock_ticks" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')" \
    "$(json_number sentryTransactionsDiscardedBySdk "$counts")" "$(json_number sentryOtlpSpans "$counts")" >>"$rows"
}

for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    run "$config" "$round"
  done
done

runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" {v = $2} END {print v}')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit (with uncommitted changes)"
{
  echo "Blog observability cost: GET /api/posts/{id}, warm cache, wrk -t1 -c$connections -d$duration --latency, $rounds round(s)"
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo ".NET:    SDK $(dotnet --version), ASP.NET Core runtime $runtime"
  echo "commit:  $commit"
  echo "warm-up: wrk until the JIT compiled under $jit_settled methods/s (${warmup_s}-${warmup_max_s} s): $(
    for f in "$out"/*.warmup.txt; do printf '%s %s, ' "$(basename "$f" .warmup.txt)" "$(tail -n 1 "$f" | sed -E 's/^warm-up ([0-9]+s).*JIT ([0-9a-z]+) .*/\1 (\2\/s)/')"; done | sed 's/, $//')"
  echo
  awk -F'\t' -v configs="${configs[*]}" '
    NR == 1 { next }
    { n[$1]++; rps[$1] += $3; p50[$1] += $4; p99[$1] += $5; alloc[$1] += $8
      spans[$1] += $9 / $16; tx[$1] += $12 / $16; lines[$1] += $14 / $16; errors[$1] += $7
      cpu[$1] += $17; rcpu[$1] += $18; dropped[$1] += $19 / $16; sspans[$1] += $20 / $16 }
    function mean(a, c) { return a[c] / n[c] }
    function ratio(a, x, y) { return (x in n && y in n && mean(a, y) > 0) ? sprintf("%.3f", mean(a, x) / mean(a, y)) : "n/a" }
    END {
      split(configs, order, " ")
      printf "%-12s %10s %8s %8s %12s %10s %13s %12s %16s %10s %12s %12s\n", "config", "req/s", "p50 ms", "p99 ms", "alloc B/req", "spans/req", "Sentry tx/req", "tx shed/req", "Sentry spans/req", "lines/req", "API CPU us/req", "recv CPU us/req"
      for (i = 1; i in order; i++) {
        c = order[i]
        printf "%-12s %10.0f %8.2f %8.2f %12.0f %10.3f %13.4f %12.4f %16.4f %10.3f %14.1f %15.1f\n", c, mean(rps, c), mean(p50, c), mean(p99, c), mean(alloc, c),
          spans[c] / n[c], tx[c] / n[c], dropped[c] / n[c], sspans[c] / n[c], lines[c] / n[c], mean(cpu, c), mean(rcpu, c)
        if (errors[c] > 0) printf "  (%s: %d non-2xx responses)\n", c, errors[c]
      }
      print ""
      printf "deployed/off throughput     %s   p99 deployed/off %s\n", ratio(rps, "deployed", "off"), ratio(p99, "deployed", "off")
      printf "development/off throughput  %s   p99 development/off %s\n", ratio(rps, "development", "off"), ratio(p99, "development", "off")
      printf "pillar/off throughput       logs %s   otel %s   sentry %s   metrics %s\n",
        ratio(rps, "logs", "off"), ratio(rps, "otel", "off"), ratio(rps, "sentry", "off"), ratio(rps, "metrics", "off")
      printf "off/baseline throughput     %s\n", ratio(rps, "off", "baseline")
      if ("deployed" in n && "off" in n)
        printf "observability adds %.0f B/request (allocated: deployed - off)\n", mean(alloc, "deployed") - mean(alloc, "off")
    }' "$rows"
  echo
  echo "Per run (counts from the receiver and the API's output, over warm-up + wrk + scrapes = served):"
  awk -F'\t' '{ for (i = 1; i <= NF; i++) printf (i == 1 ? "%-12s" : " %10s"), $i; print "" }' "$rows"
} | tee "$report"
