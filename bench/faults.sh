#!/usr/bin/env bash
# Fault suite: mixed load against two API replicas run as deployed (Release, Production, their own
# PostgreSQL and Redis) while faults are injected on a schedule, then every acknowledged write is looked
# up in PostgreSQL. One command on a clean clone.
#
# Schedule (offsets from the start of the load, spread over FAULTS_DURATION in fifths):
#   1/5  redis-kill      Redis SIGKILLed, restarted on the same port after FAULTS_REDIS_DOWN seconds
#   2/5  redis-hang      Redis SIGSTOPped for FAULTS_HANG seconds, then SIGCONT
#   3/5  postgres-down   PostgreSQL fast shutdown (SIGINT) for FAULTS_PG_DOWN seconds, then restarted
#   4/5  api-replica-kill  the second API replica SIGKILLed and left down: the rest of the run is on one replica
#
# Results: artifacts/bench/faults.txt (the report and its verdict), faults-load.json, faults-requests.csv
# (FAULTS_NAME replaces "faults" in these names).
# Exit status: 0 when the verdict passes, 1 when it fails.
# Knobs (environment): FAULTS_DURATION (seconds of load, default 75), FAULTS_READERS (4), FAULTS_WRITERS (2),
#   FAULTS_COMMENTERS (2), FAULTS_LIVE_CLIENTS (4), FAULTS_THINK_MS (10), FAULTS_REDIS_DOWN (2), FAULTS_HANG (5),
#   FAULTS_PG_DOWN (6), FAULTS_DEADLINE (10, the API's Requests:Timeout in seconds), FAULTS_RECOVERY (5),
#   FAULTS_SCHEDULE (the faults to inject, each in its fifth; default all four), FAULTS_NAME (faults),
#   FAULTS_BUILD (1; 0 uses the Release build as it is, as the test suite does after building it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

duration=${FAULTS_DURATION:-75}
redis_down=${FAULTS_REDIS_DOWN:-2}
hang=${FAULTS_HANG:-5}
pg_down=${FAULTS_PG_DOWN:-6}
"$root/scripts/setup.sh" test >/dev/null
# shellcheck source=bench/lib/deployed.sh
source "$root/bench/lib/deployed.sh"
# shellcheck source=bench/lib/faults.sh
source "$root/bench/lib/faults.sh"
bench_prepare_output "$root/artifacts/bench" "${FAULTS_NAME:-faults}"
out=$BENCH_OUT name=$BENCH_NAME
read -r -a schedule <<<"${FAULTS_SCHEDULE:-redis-kill redis-hang postgres-down api-replica-kill}"
for fault in "${schedule[@]}"; do
  case $fault in redis-kill | redis-hang | postgres-down | api-replica-kill) ;; *) echo "unknown fault '$fault'" >&2; exit 2 ;; esac
done
scheduled() { [[ " ${schedule[*]} " == *" $1 "* ]]; }

stop_all() {
  bench_stop_load
  # A Redis left stopped by an interrupted run would never exit on SIGTERM.
  [ -n "${DEPLOYED_REDIS_PID:-}" ] && { kill -CONT "$DEPLOYED_REDIS_PID" 2>/dev/null || true; }
  deployed_cleanup
}
trap stop_all EXIT

if [ "${FAULTS_BUILD:-1}" = 1 ]; then
  echo "faults: building (Release)"
  deployed_build >/dev/null
fi
deployed_start_postgres
deployed_start_redis
bench_start_api
api1_pid=$DEPLOYED_API_PID api1_url=$DEPLOYED_API_URL api1_log=$DEPLOYED_API_LOG
bench_start_api
api2_pid=$DEPLOYED_API_PID api2_url=$DEPLOYED_API_URL api2_log=$DEPLOYED_API_LOG
echo "faults: PostgreSQL :$DEPLOYED_PG_PORT, Redis :$DEPLOYED_REDIS_PORT, API replicas $api1_url $api2_url"

BENCH_EVENTS="$DEPLOYED_TMP/events"
: >"$BENCH_EVENTS"
bench_start_load --Api "$api1_url,$api2_url" --Duration "$(bench_seconds "$duration")" \
  --Readers "${FAULTS_READERS:-4}" --Writers "${FAULTS_WRITERS:-2}" --Commenters "${FAULTS_COMMENTERS:-2}" \
  --LiveClients "${FAULTS_LIVE_CLIENTS:-4}" --ThinkTime "$(bench_millis "${FAULTS_THINK_MS:-10}")" \
  --Deadline "$(bench_seconds "${FAULTS_DEADLINE:-10}")" --RecoveryLimit "$(bench_seconds "${FAULTS_RECOVERY:-5}")" \
  --Events "$BENCH_EVENTS"
slot=$((duration * 1000 / 5))
at() { bench_sleep_until "$1"; }

if scheduled redis-kill; then
  at $((slot * 1))
  echo "faults: Redis SIGKILL, restart after ${redis_down} s"
  bench_mark start redis-kill
  kill -KILL "$DEPLOYED_REDIS_PID"; wait "$DEPLOYED_REDIS_PID" 2>/dev/null || true
  sleep "$redis_down"
  bench_restart_redis
  bench_mark end redis-kill
fi

if scheduled redis-hang; then
  at $((slot * 2))
  echo "faults: Redis SIGSTOP for ${hang} s"
  bench_mark start redis-hang
  kill -STOP "$DEPLOYED_REDIS_PID"
  sleep "$hang"
  kill -CONT "$DEPLOYED_REDIS_PID"
  bench_mark end redis-hang
fi

if scheduled postgres-down; then
  at $((slot * 3))
  echo "faults: PostgreSQL fast shutdown for ${pg_down} s"
  pg_stopped=$(date +%s%3N)
  bench_mark start postgres-down
  kill -INT "$DEPLOYED_PG_PID"; wait "$DEPLOYED_PG_PID" 2>/dev/null || true
  at $((pg_stopped - BENCH_T0 + pg_down * 1000))
  bench_restart_postgres
  bench_mark end postgres-down
fi

if scheduled api-replica-kill; then
  at $((slot * 4))
  echo "faults: API replica $api2_url SIGKILL (left down)"
  bench_mark start api-replica-kill
  kill -KILL "$api2_pid" 2>/dev/null || echo "faults: replica 2 had already exited" >&2
  wait "$api2_pid" 2>/dev/null || true
  bench_mark end api-replica-kill
fi

load_rc=0
bench_wait_load || load_rc=$?
[ -s "$out/$name-load.txt" ] || exit 1

errors() { grep -c '"level":"error"' "$1" 2>/dev/null || true; }
alive() { kill -0 "$1" 2>/dev/null && echo "running" || echo "exited"; }
replica1_state=$(alive "$api1_pid")
# Warnings and errors of each replica, for reading a fault more closely (the info lines are one per request).
for n in 1 2; do
  log_var="api${n}_log"
  grep -E '"level":"(warning|error|critical)"' "${!log_var}" >"$out/$name-api$n.log" 2>/dev/null || true
done
{
  echo "bench/faults.sh on $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores; API as deployed (Release, Production), two replicas, own PostgreSQL and Redis"
  echo "Schedule (unix ms):"
  sed 's/^/  /' "$BENCH_EVENTS"
  echo "Service starts that failed and were retried before the load: $BENCH_START_FAILURES (their logs: artifacts/bench/$name-failed-starts/)"
  scheduled api-replica-kill \
    && echo "After api-replica-kill the second replica stays down: the rest of the run is on $api1_url alone (at the end: $replica1_state)."
  echo "API error log lines: replica 1 $(errors "$api1_log"), replica 2 $(errors "$api2_log") (warnings and errors in $name-api1.log, $name-api2.log)"
  echo
  cat "$out/$name-load.txt"
} >"$out/$name.txt"
cat "$out/$name.txt"
exit "$load_rc"
