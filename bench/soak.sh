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
# Also per service: what the GC has committed and how many full (gen 2) collections it has run (on /metrics), and
# RSS minus that commitment: the memory outside the managed heap.
#
# Flat means: over the samples after the first minute (JIT, pools and caches warm up; all samples when fewer
# than three remain), slope x minutes stays within 10% of the fitted start value plus a small absolute slack
# (threads 4, connections 4, subscriptions 2, RSS 8 MiB), and the live heap (after a full collection) once the load
# is over is within 10% + 8 MiB of the live heap after its first minute. RSS is judged the same way over the second
# half of the run: it takes minutes to reach its working size (tiered compilation, the GC's budgets, the native
# allocator's arenas). The sampled GC heap, the GC's commitment and RSS outside it are reported with their slopes,
# not judged: between two collections the heap after the latest one and the commitment climb (a sawtooth, not a
# leak), and the live heap is the leak check for the managed heap.
#
# Results: artifacts/bench/soak.txt, soak-samples.tsv, heap snapshots soak-{api,web}-<seconds>.{gcdump,heap.txt}, and the load generator's soak-load.{txt,json}, soak-requests.csv.
# Knobs (environment): SOAK_DURATION (10m; s or m suffix), SOAK_INTERVAL (30 s), SOAK_READERS (2), SOAK_WRITERS (1),
#   SOAK_COMMENTERS (1), SOAK_LIVE_CLIENTS (2), SOAK_PAGES (3 browser pages open at once), SOAK_THINK_MS (50),
#   SOAK_ENV (VAR=value pairs for both services, e.g. DOTNET_gcServer=0).
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
"$root/scripts/setup.sh" test >/dev/null
# shellcheck source=bench/lib/deployed.sh
source "$root/bench/lib/deployed.sh"
# shellcheck source=bench/lib/faults.sh
source "$root/bench/lib/faults.sh"
bench_prepare_output "$root/artifacts/bench" soak
out=$BENCH_OUT
rm -f "$out"/soak-*.gcdump "$out"/soak-*.gcdump.log "$out"/soak-*.heap.txt
read -r -a service_env <<<"${SOAK_ENV:-}"

stop_all() {
  bench_stop_load
  deployed_cleanup
}
trap stop_all EXIT

echo "soak: building (Release)"
deployed_build >/dev/null
deployed_start_postgres
deployed_start_redis
bench_start_api "${service_env[@]}"
bench_start_web "${service_env[@]}"
echo "soak: API $DEPLOYED_API_URL (pid $DEPLOYED_API_PID), web $BENCH_WEB_URL (pid $BENCH_WEB_PID), ${duration} s"

bench_start_load --Api "$DEPLOYED_API_URL" --Web "$BENCH_WEB_URL" --Duration "$(bench_seconds "$duration")" \
  --Readers "${SOAK_READERS:-2}" --Writers "${SOAK_WRITERS:-1}" --Commenters "${SOAK_COMMENTERS:-1}" \
  --LiveClients "${SOAK_LIVE_CLIENTS:-2}" --PageViewers "${SOAK_PAGES:-3}" --ThinkTime "$(bench_millis "${SOAK_THINK_MS:-50}")"

samples="$out/soak-samples.tsv"
echo -e "seconds\tapi_rss_kib\tapi_threads\tapi_tcp\tapi_gc_heap_bytes\tapi_live_subscriptions\tweb_rss_kib\tweb_threads\tweb_tcp\tweb_gc_heap_bytes\tweb_live_subscriptions\tapi_gc_committed_bytes\tapi_gc_gen2_count\tweb_gc_committed_bytes\tweb_gc_gen2_count\tapi_non_gc_kib\tweb_non_gc_kib" >"$samples"
# What the GC has committed (the part of RSS it answers for) and how many full collections it has run: with the
# live heap, they tell garbage the GC has not yet needed to collect from memory something keeps.
gc_figures() {
  curl -sf -H "Authorization: Bearer $DEPLOYED_SCRAPE_TOKEN" "$1/metrics" | awk '
    $1 == "dotnet_gc_last_collection_memory_committed_size_bytes" || $1 == "dotnet_gc_last_collection_memory_committed_size_bytes{}" { committed = $NF }
    index($1, "dotnet_gc_collections_total{") == 1 && $1 ~ /gc_heap_generation="gen2"/ { gen2 = $NF }
    END { printf "%s %s\n", committed == "" ? "NA" : committed, gen2 == "" ? "NA" : gen2 }' || echo "NA NA"
}
sample() {
  local api web ws subscriptions api_gc web_gc tab=$'\t'
  api=$(bench_sample "$DEPLOYED_API_PID" "$DEPLOYED_API_URL")
  web=$(bench_sample "$BENCH_WEB_PID" "$BENCH_WEB_URL")
  ws=$(bench_metric "$DEPLOYED_API_URL" websocket_active_connections)
  subscriptions=$(bench_metric "$BENCH_WEB_URL" live_feed_subscriptions)
  api_gc=$(gc_figures "$DEPLOYED_API_URL")
  web_gc=$(gc_figures "$BENCH_WEB_URL")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "${api// /$tab}" "$ws" "${web// /$tab}" "$subscriptions" "${api_gc// /$tab}" "${web_gc// /$tab}" \
    "$(non_gc_kib "${api%% *}" "${api_gc%% *}")" "$(non_gc_kib "${web%% *}" "${web_gc%% *}")" >>"$samples"
}
# RSS the GC does not answer for (code, stacks, native buffers, mapped files): what would grow if something
# outside the managed heap leaked.
non_gc_kib() {
  if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($1 - $2 / 1024)); else echo NA; fi
}
# A heap snapshot of each service (dotnet-gcdump: it runs a full collection first, so what it counts is live) after
# the first minute of load and once the load is over; what a request leaves behind shows as growth between the two
# (the report lists the types that grew most). The sampled GC heap is the heap after the latest collection, which
# holds garbage until a full one runs: it is not a measure of what is kept.
gcdump() {
  local name=$1 pid=$2 at=$3
  dotnet tool run dotnet-gcdump collect -p "$pid" -o "$out/soak-$name-$at.gcdump" >"$out/soak-$name-$at.gcdump.log" 2>&1 \
    && dotnet tool run dotnet-gcdump report "$out/soak-$name-$at.gcdump" >"$out/soak-$name-$at.heap.txt" 2>>"$out/soak-$name-$at.gcdump.log"
}
first_dump=$(( duration >= 120 ? 60 : 0 ))
for ((at = 0; at <= duration; at += interval)); do
  bench_sleep_until $((at * 1000))
  sample "$at"
  if [ "$at" -eq "$first_dump" ]; then
    gcdump api "$DEPLOYED_API_PID" "$at" || true
    gcdump web "$BENCH_WEB_PID" "$at" || true
  fi
done

bench_wait_load || [ -s "$out/soak-load.txt" ] || exit 1
# Warnings and errors of each service (the info lines are one per request).
grep -E '"level":"(warning|error|critical)"' "$DEPLOYED_API_LOG" >"$out/soak-api.log" 2>/dev/null || true
grep -E '"level":"(warning|error|critical)"' "$BENCH_WEB_LOG" >"$out/soak-web.log" 2>/dev/null || true
# Once the load and its browser pages are gone, what is still held: connections and subscriptions should drop to none.
sleep 5
sample after
gcdump api "$DEPLOYED_API_PID" "$duration" || true
gcdump web "$BENCH_WEB_PID" "$duration" || true

# Start, end and least-squares slope per minute of each column; the fit skips the first minute when enough remains.
flatness=$(awk -F'\t' '
  NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; cols = NF; next }
  $1 == "after" { for (i = 2; i <= cols; i++) after[i] = $i; next }
  { n++; t[n] = $1; for (i = 2; i <= cols; i++) v[n, i] = $i }
  END {
    first = 1; for (k = 1; k <= n; k++) if (t[k] >= 60) { first = k; break }
    if (n - first + 1 < 3) first = 1
    growing = ""
    printf "%-24s %14s %14s %14s %16s %14s  %s\n", "metric", "start", "end", "after load", "slope per min", "fit window", "flat"
    for (i = 2; i <= cols; i++) {
      if (name[i] ~ /gc_gen2_count/) {
        printf "%-24s %14s %14s %14s %16.1f %14s  %s\n", name[i], v[1, i], v[n, i], after[i], (v[n, i] - v[1, i]) / (t[n] / 60 > 0 ? t[n] / 60 : 1), "-", "counted (full collections)"
        continue
      }
      if (v[1, i] == "NA") { printf "%-24s %14s %14s %14s %16s %14s  %s\n", name[i], "NA", "NA", "NA", "NA", "-", "not measured"; continue }
      # RSS is judged at steady state, over the second half of the run: until then it climbs while tiered
      # compilation, the GC budgets and the native allocator arenas reach their working size (minutes, not seconds).
      from = first
      if (name[i] ~ /rss_kib/) { for (k = 1; k <= n; k++) if (t[k] >= t[n] / 2) { from = k; break }; if (n - from + 1 < 3) from = first }
      sx = sy = sxx = sxy = 0; m = 0
      for (k = from; k <= n; k++) { x = t[k] / 60; y = v[k, i]; sx += x; sy += y; sxx += x * x; sxy += x * y; m++ }
      slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
      fitted_start = (sy - slope * sx) / m + slope * t[from] / 60
      slack = name[i] ~ /rss_kib|non_gc_kib/ ? 8192 : name[i] ~ /heap_bytes|committed_bytes/ ? 8388608 : name[i] ~ /threads|tcp/ ? 4 : 2
      limit = 0.10 * (fitted_start < 0 ? -fitted_start : fitted_start) + slack
      growth = slope * (t[n] - t[from]) / 60
      flat = growth <= limit ? "yes" : "NO"
      # The heap after the latest collection and the GC commitment hold garbage awaiting a collection: a sawtooth
      # between collections, reported, and judged by the live heap instead.
      if (name[i] ~ /gc_heap_bytes|gc_committed_bytes/) flat = (flat == "yes" ? "yes" : "grows (see live heap)")
      # The commitment /metrics gives is as of the GC'"'"'s last collection: in a service that collects every few
      # seconds RSS minus it is the memory outside the heap; in one that goes a minute or more without, it also
      # holds everything allocated since. Reported, not judged.
      else if (name[i] ~ /non_gc_kib/) flat = (flat == "yes" ? "yes" : "grows (see README, Soak)")
      else if (flat == "NO") growing = growing " " name[i]
      printf "%-24s %14s %14s %14s %16.1f %8ds-%ss  %s\n", name[i], v[1, i], v[n, i], after[i], slope, t[from], t[n], flat
    }
    print (growing == "" ? "Verdict: FLAT (every measured metric within its bound)" : "Verdict: NOT FLAT:" growing)
  }' "$samples")

# Live bytes per type in the first and last heap snapshot (dotnet-gcdump report: bytes, count, type per line).
heap_growth() {
  local name=$1 first last
  first=$(ls "$out"/soak-"$name"-*.heap.txt 2>/dev/null | sort -t- -k3 -n | head -1)
  last=$(ls "$out"/soak-"$name"-*.heap.txt 2>/dev/null | sort -t- -k3 -n | tail -1)
  if [ -z "$first" ] || [ "$first" = "$last" ]; then echo "$name: no pair of heap snapshots (see $out/soak-$name-*.gcdump.log)"; return; fi
  awk -v name="$name" -v a="$first" -v b="$last" '
    function parse(file, arr, total,   line, n, f) {
      while ((getline line < file) > 0) {
        n = split(line, f, " ")
        if (line ~ /GC Heap bytes/) { gsub(",", "", f[1]); total[0] = f[1] }
        else if (n >= 3 && f[1] ~ /^[0-9,]+$/ && f[2] ~ /^[0-9,]+$/) {
          gsub(",", "", f[1]); type = line; sub(/^ *[0-9,]+ +[0-9,]+ +/, "", type); arr[type] += f[1]
        }
      }
    }
    BEGIN {
      parse(a, before, tb); parse(b, after, ta)
      printf "%s: live heap %.1f MiB after the first minute of load, %.1f MiB after the load (full collection before each)\n", name, tb[0] / 1048576, ta[0] / 1048576
      for (t in after) d[t] = after[t] - before[t]
      for (k = 0; k < 8; k++) {
        best = ""; for (t in d) if (best == "" || d[t] > d[best]) best = t
        if (best == "" || d[best] <= 0) break
        printf "  %+10.1f KiB  %s\n", d[best] / 1024, best; delete d[best]
      }
    }'
}

# The live heap (after a full collection) after the load against after its first minute: what requests leave behind.
live_heap_verdict() {
  local name=$1 first last a b
  first=$(ls "$out"/soak-"$name"-*.heap.txt 2>/dev/null | sort -t- -k3 -n | head -1)
  last=$(ls "$out"/soak-"$name"-*.heap.txt 2>/dev/null | sort -t- -k3 -n | tail -1)
  [ -n "$first" ] && [ "$first" != "$last" ] || { echo "NO"; return; }
  a=$(awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; exit }' "$first")
  b=$(awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; exit }' "$last")
  awk -v a="$a" -v b="$b" 'BEGIN { print (b - a <= 0.10 * a + 8388608) ? "yes" : "NO" }'
}
for service in api web; do
  if [ "$(live_heap_verdict "$service")" != yes ]; then
    flatness=${flatness/Verdict: FLAT (every measured metric within its bound)/Verdict: NOT FLAT:}
    flatness="${flatness} ${service}_live_heap"
  fi
done

{
  echo "bench/soak.sh on $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, ${duration} s; API and web frontend as deployed (Release, Production), own PostgreSQL and Redis"
  echo "Service starts that failed and were retried before the load: $BENCH_START_FAILURES (their logs: artifacts/bench/soak-failed-starts/)"
  echo "Samples every ${interval} s ($samples); RSS in KiB, GC heap in bytes."
  echo
  echo "$flatness"
  echo
  echo "Live heap (the types that grew most between the snapshots):"
  heap_growth api
  heap_growth web
  echo
  cat "$out/soak-load.txt"
} >"$out/soak.txt"
cat "$out/soak.txt"
grep -q '^Verdict: FLAT' "$out/soak.txt"
