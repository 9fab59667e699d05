#!/usr/bin/env bash
# Soak: mixed load for 10 minutes (SOAK_DURATION) against the API and the web frontend run as deployed
# (Release, Production, own PostgreSQL and Redis), including page views in Debian's chromium: real Blazor
# circuits that connect and go away. Every SOAK_INTERVAL the API's and the web frontend's resources are
# sampled; the report gives start, end and slope per minute (least squares) and a verdict on flatness.
#
# Sampled per service: RSS and threads (/proc/PID/status), established TCP connections (ss), GC heap after
# the last collection (dotnet_gc_last_collection_heap_size_bytes on /metrics, all generations), and live-feed
# subscriptions: the API's websocket_active_connections and the web frontend's live_feed_subscriptions
# (connected circuits listening to the live feed; a disconnected tab stops listening at once).
#
# Flat means: over the samples after the first minute (JIT, pools and caches warm up; all samples when fewer
# than three remain), slope x minutes stays within 10% of the fitted start value plus a small absolute slack
# (RSS and GC heap 8 MiB, threads 4, connections 4, subscriptions 2).
#
# Results: artifacts/bench/soak.txt, soak-samples.tsv, and the load generator's soak-load.{txt,json}, soak-requests.csv.
# Knobs (environment): SOAK_DURATION (10m; s or m suffix), SOAK_INTERVAL (30 s), SOAK_READERS (2), SOAK_WRITERS (1),
#   SOAK_COMMENTERS (1), SOAK_LIVE_CLIENTS (2), SOAK_PAGES (3 browser pages open at once), SOAK_THINK_MS (50).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

to_seconds() {
  case $1 in
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
duration=$(to_seconds "${SOAK_DURATION:-10m}")
interval=${SOAK_INTERVAL:-30}
out="$root/artifacts/bench"
mkdir -p "$out"

"$root/scripts/setup.sh" test >/dev/null
# shellcheck source=bench/lib/deployed.sh
source "$root/bench/lib/deployed.sh"
# shellcheck source=bench/lib/faults.sh
source "$root/bench/lib/faults.sh"
BENCH_FAILED_LOGS="$out/soak-failed-starts"
rm -rf "$BENCH_FAILED_LOGS"

seconds() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }
millis() { printf '00:00:%02d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

load_pid=""
stop_all() {
  if [ -n "$load_pid" ]; then
    kill -TERM "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  deployed_cleanup
}
trap stop_all EXIT

echo "soak: building (Release)"
deployed_build >/dev/null
deployed_start_postgres
deployed_start_redis
bench_start_api
bench_start_web
echo "soak: API $DEPLOYED_API_URL (pid $DEPLOYED_API_PID), web $BENCH_WEB_URL (pid $BENCH_WEB_PID), ${duration} s"

started="$DEPLOYED_TMP/started"
dotnet "$root/bench/Blog.Bench.Load/bin/Release/net10.0/Blog.Bench.Load.dll" \
  --Api "$DEPLOYED_API_URL" --Web "$BENCH_WEB_URL" --Duration "$(seconds "$duration")" \
  --Readers "${SOAK_READERS:-2}" --Writers "${SOAK_WRITERS:-1}" --Commenters "${SOAK_COMMENTERS:-1}" \
  --LiveClients "${SOAK_LIVE_CLIENTS:-2}" --PageViewers "${SOAK_PAGES:-3}" --ThinkTime "$(millis "${SOAK_THINK_MS:-50}")" \
  --StartedFile "$started" --Database "$DEPLOYED_DB_CONNECTION" \
  --Output "$out" --Name soak >"$DEPLOYED_TMP/load.out" 2>&1 &
load_pid=$!
for _ in $(seq 1 600); do
  [ -s "$started" ] && break
  kill -0 "$load_pid" 2>/dev/null || { cat "$DEPLOYED_TMP/load.out" >&2; exit 1; }
  sleep 0.1
done
t0=$(cat "$started")

samples="$out/soak-samples.tsv"
echo -e "seconds\tapi_rss_kib\tapi_threads\tapi_tcp\tapi_gc_heap_bytes\tapi_live_subscriptions\tweb_rss_kib\tweb_threads\tweb_tcp\tweb_gc_heap_bytes\tweb_live_subscriptions" >"$samples"
sample() {
  local api web ws subscriptions tab=$'\t'
  api=$(bench_sample "$DEPLOYED_API_PID" "$DEPLOYED_API_URL")
  web=$(bench_sample "$BENCH_WEB_PID" "$BENCH_WEB_URL")
  ws=$(bench_metric "$DEPLOYED_API_URL" websocket_active_connections)
  subscriptions=$(bench_metric "$BENCH_WEB_URL" live_feed_subscriptions)
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "${api// /$tab}" "$ws" "${web// /$tab}" "$subscriptions" >>"$samples"
}
for ((at = 0; at <= duration; at += interval)); do
  wait_ms=$((t0 + at * 1000 - $(date +%s%3N)))
  [ "$wait_ms" -gt 0 ] && sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  sample "$at"
done

load_rc=0
wait "$load_pid" || load_rc=$?
load_pid=""
[ -s "$out/soak-load.txt" ] || { echo "soak: the load generator failed (exit $load_rc):" >&2; cat "$DEPLOYED_TMP/load.out" >&2; exit 1; }
# Warnings and errors of each service (the info lines are one per request).
grep -E '"level":"(warning|error|critical)"' "$DEPLOYED_API_LOG" >"$out/soak-api.log" 2>/dev/null || true
grep -E '"level":"(warning|error|critical)"' "$BENCH_WEB_LOG" >"$out/soak-web.log" 2>/dev/null || true
# Once the load and its browser pages are gone, what is still held: connections and subscriptions should drop to none.
sleep 5
sample after

# Start, end and least-squares slope per minute of each column; the fit skips the first minute when enough remains.
flatness=$(awk -F'\t' '
  NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; cols = NF; next }
  $1 == "after" { for (i = 2; i <= cols; i++) after[i] = $i; next }
  { n++; t[n] = $1; for (i = 2; i <= cols; i++) v[n, i] = $i }
  END {
    first = 1; for (k = 1; k <= n; k++) if (t[k] >= 60) { first = k; break }
    if (n - first + 1 < 3) first = 1
    minutes = (t[n] - t[first]) / 60
    growing = ""
    printf "%-24s %14s %14s %14s %16s %14s  %s\n", "metric", "start", "end", "after load", "slope per min", "fit window", "flat"
    for (i = 2; i <= cols; i++) {
      if (v[1, i] == "NA") { printf "%-24s %14s %14s %14s %16s %14s  %s\n", name[i], "NA", "NA", "NA", "NA", "-", "not measured"; continue }
      sx = sy = sxx = sxy = 0; m = 0
      for (k = first; k <= n; k++) { x = t[k] / 60; y = v[k, i]; sx += x; sy += y; sxx += x * x; sxy += x * y; m++ }
      slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
      fitted_start = (sy - slope * sx) / m + slope * t[first] / 60
      slack = name[i] ~ /rss_kib/ ? 8192 : name[i] ~ /heap_bytes/ ? 8388608 : name[i] ~ /threads|tcp/ ? 4 : 2
      limit = 0.10 * (fitted_start < 0 ? -fitted_start : fitted_start) + slack
      growth = slope * minutes
      flat = growth <= limit ? "yes" : "NO"
      if (flat == "NO") growing = growing " " name[i]
      printf "%-24s %14s %14s %14s %16.1f %8ds-%ss  %s\n", name[i], v[1, i], v[n, i], after[i], slope, t[first], t[n], flat
    }
    print (growing == "" ? "Verdict: FLAT (every measured metric within its bound)" : "Verdict: NOT FLAT:" growing)
  }' "$samples")

{
  echo "bench/soak.sh on $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, ${duration} s; API and web frontend as deployed (Release, Production), own PostgreSQL and Redis"
  echo "Service starts that failed and were retried before the load: $BENCH_START_FAILURES (their logs: artifacts/bench/soak-failed-starts/)"
  echo "Samples every ${interval} s ($samples); RSS in KiB, GC heap in bytes."
  echo
  echo "$flatness"
  echo
  cat "$out/soak-load.txt"
} >"$out/soak.txt"
cat "$out/soak.txt"
grep -q '^Verdict: FLAT' "$out/soak.txt"
