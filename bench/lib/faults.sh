# shellcheck shell=bash
# What the fault and soak scripts need on top of bench/lib/deployed.sh (source that first): the fault
# schedule the load generator reads, restarting PostgreSQL and Redis on the ports the API already knows,
# running the web frontend as deployed, and sampling a process's resources.
#
#   bench_mark start|end NAME       appends "unix_ms start|end NAME" to $BENCH_EVENTS (the load generator's --Events)
#   bench_restart_postgres          starts PostgreSQL again on $DEPLOYED_PG_PORT with the same data; waits until it accepts
#   bench_restart_redis             starts Redis again on $DEPLOYED_REDIS_PORT; waits until it accepts
#   bench_start_api                 deployed_start_api, tried up to three times: a start that fails is counted in
#                                   BENCH_START_FAILURES and its log kept in $BENCH_FAILED_LOGS (the report says so)
#   bench_start_web                 publishes Blog.Web (Release, --no-build) and runs it, Production, pointed at $DEPLOYED_API_URL;
#                                   sets BENCH_WEB_PID, BENCH_WEB_URL, BENCH_WEB_LOG
#   bench_sample PID URL            prints "rss_kib threads tcp_established gc_heap_bytes": /proc, ss, and the
#                                   service's /metrics (dotnet_gc_last_collection_heap_size_bytes, all generations)
#   bench_metric URL NAME           prints the sum of a metric's samples on URL/metrics
#   bench_prepare_output DIR NAME   sets BENCH_OUT and BENCH_FAILED_LOGS and removes a previous run's NAME report files
#   bench_seconds N / bench_millis MS   TimeSpan text for the load generator (00:01:15, 00:00:00.010)
#   bench_start_load ARGS...        starts bench/Blog.Bench.Load with ARGS plus --StartedFile, --Database, --Output and
#                                   --Name; waits until its load begins; sets BENCH_LOAD_PID and BENCH_T0 (unix ms)
#   bench_wait_load                 waits for the load generator; its exit status
#   bench_stop_load                 SIGTERMs a load generator still running (for an EXIT trap)
#   bench_sleep_until OFFSET_MS     sleeps until BENCH_T0 + OFFSET_MS

bench_mark() {
  echo "$(date +%s%3N) $1 $2" >>"${BENCH_EVENTS:?set BENCH_EVENTS}"
}

_bench_wait_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

bench_restart_postgres() {
  local bin data=$DEPLOYED_TMP/postgres port=${DEPLOYED_PG_PORT:?start PostgreSQL first}
  bin=$(_deployed_pg_bin)
  # The same command deployed_start_postgres uses, on the same port and data: clients see the same server come back.
  # setpriv execs postgres, so $! is the server itself (SIGINT is then its fast shutdown).
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$data" -p "$port" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= >>"$DEPLOYED_TMP/postgres.log" 2>&1 &
  else
    "$bin/postgres" -D "$data" -p "$port" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= >>"$DEPLOYED_TMP/postgres.log" 2>&1 &
  fi
  DEPLOYED_PG_PID=$!
  DEPLOYED_PIDS+=("$DEPLOYED_PG_PID")
  for _ in $(seq 1 120); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    kill -0 "$DEPLOYED_PG_PID" 2>/dev/null || break
    sleep 0.1
  done
  _deployed_log "PostgreSQL did not come back:"; tail -n 20 "$DEPLOYED_TMP/postgres.log" >&2
  return 1
}

bench_restart_redis() {
  local port=${DEPLOYED_REDIS_PORT:?start Redis first}
  (cd "$DEPLOYED_TMP/redis" && exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no) \
    >>"$DEPLOYED_TMP/redis.log" 2>&1 &
  DEPLOYED_REDIS_PID=$!
  DEPLOYED_PIDS+=("$DEPLOYED_REDIS_PID")
  _bench_wait_port "$port" "$DEPLOYED_REDIS_PID" && return 0
  _deployed_log "Redis did not come back:"; tail -n 20 "$DEPLOYED_TMP/redis.log" >&2
  return 1
}

BENCH_START_FAILURES=0

_bench_keep_failed_log() {
  BENCH_START_FAILURES=$((BENCH_START_FAILURES + 1))
  if [ -n "${BENCH_FAILED_LOGS:-}" ] && [ -n "$1" ] && [ -f "$1" ]; then
    mkdir -p "$BENCH_FAILED_LOGS"
    cp "$1" "$BENCH_FAILED_LOGS/"
  fi
}

# A start can fail for reasons the run is not about (a port taken between choosing and binding it, a start-up
# that stalls on a loaded machine); each failure is kept and reported, never hidden.
bench_start_api() {
  local attempt
  for attempt in 1 2 3; do
    DEPLOYED_HEALTH_TIMEOUT=${DEPLOYED_HEALTH_TIMEOUT:-60} deployed_start_api "$@" && return 0
    _bench_keep_failed_log "$DEPLOYED_API_LOG"
    _deployed_log "API start $attempt failed"
  done
  return 1
}

bench_start_web() {
  local attempt
  for attempt in 1 2 3; do
    _bench_start_web_once "$@" && return 0
    _deployed_log "web start $attempt failed"; tail -n 5 "${BENCH_WEB_LOG:-/dev/null}" >&2
    _bench_keep_failed_log "${BENCH_WEB_LOG:-}"
    [ -n "${BENCH_WEB_PID:-}" ] && _deployed_stop_pid "$BENCH_WEB_PID" TERM
  done
  return 1
}

# Outside Development the web frontend serves static assets (blazor.web.js, the Sentry bundle) only from
# published output: from the build folder they answer 200 with an empty body and no circuit ever starts.
_bench_publish_web() {
  BENCH_WEB_DIR="$DEPLOYED_TMP/web"
  [ -f "$BENCH_WEB_DIR/Blog.Web.dll" ] && return 0
  (cd "$DEPLOYED_ROOT" && dotnet publish Blog.Web/Blog.Web.csproj -c Release --no-build --nologo -v quiet -o "$BENCH_WEB_DIR") >/dev/null \
    || { _deployed_log "publishing Blog.Web failed (run deployed_build first)"; return 1; }
}

_bench_start_web_once() {
  local dir port
  _bench_publish_web || return 1
  dir=$BENCH_WEB_DIR
  port=$(deployed_free_port)
  BENCH_WEB_LOG="$DEPLOYED_TMP/web-$port.log"
  # The environment the AppHost gives the web frontend, minus the dashboard: service discovery names the API.
  (cd "$dir" && exec env -i "PATH=$PATH" "HOME=${HOME:-/root}" ASPNETCORE_ENVIRONMENT=Production \
    "ASPNETCORE_URLS=http://127.0.0.1:$port" \
    "services__apiservice__http__0=${DEPLOYED_API_URL:?start the API first}" \
    "Metrics__ScrapeToken=$DEPLOYED_SCRAPE_TOKEN" "Redaction__HmacKey=$DEPLOYED_HMAC_KEY" \
    "$@" dotnet Blog.Web.dll) >"$BENCH_WEB_LOG" 2>&1 &
  BENCH_WEB_PID=$!
  DEPLOYED_PIDS+=("$BENCH_WEB_PID")
  BENCH_WEB_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$BENCH_WEB_URL/health" && return 0
    kill -0 "$BENCH_WEB_PID" 2>/dev/null || break
    sleep 0.25
  done
  return 1
}

bench_metric() {
  curl -sf -H "Authorization: Bearer $DEPLOYED_SCRAPE_TOKEN" "$1/metrics" \
    | awk -v name="$2" '$1 == name || index($1, name "{") == 1 { sum += $NF; found = 1 } END { if (found) printf "%.0f\n", sum; else print "NA" }'
}

bench_sample() {
  local pid=$1 url=$2 rss threads tcp heap
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo NA)
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo NA)
  # Established TCP connections of the process (both directions: clients, PostgreSQL, Redis, the API).
  tcp=$(ss -Htnp state established 2>/dev/null | grep -c "pid=$pid," || true)
  heap=$(bench_metric "$url" dotnet_gc_last_collection_heap_size_bytes)
  echo "${rss:-NA} ${threads:-NA} ${tcp:-0} ${heap:-NA}"
}


bench_prepare_output() {
  BENCH_OUT=$1
  BENCH_NAME=$2
  BENCH_FAILED_LOGS="$BENCH_OUT/$BENCH_NAME-failed-starts"
  mkdir -p "$BENCH_OUT"
  # A previous run's report must not stand in for this one's.
  rm -rf "$BENCH_FAILED_LOGS"
  rm -f "$BENCH_OUT/$BENCH_NAME.txt" "$BENCH_OUT/$BENCH_NAME-load.txt" "$BENCH_OUT/$BENCH_NAME-load.json" \
    "$BENCH_OUT/$BENCH_NAME-requests.csv"
}

bench_seconds() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }
bench_millis() { printf '00:00:%02d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

BENCH_LOAD_PID=""

bench_start_load() {
  local started="$DEPLOYED_TMP/started"
  rm -f "$started"
  dotnet "$DEPLOYED_ROOT/bench/Blog.Bench.Load/bin/Release/net10.0/Blog.Bench.Load.dll" "$@" \
    --StartedFile "$started" --Database "$DEPLOYED_DB_CONNECTION" \
    --Output "${BENCH_OUT:?call bench_prepare_output}" --Name "$BENCH_NAME" >"$DEPLOYED_TMP/load.out" 2>&1 &
  BENCH_LOAD_PID=$!
  # Schedules are timed from the moment the load begins (after the load users are registered).
  for _ in $(seq 1 600); do
    [ -s "$started" ] && break
    kill -0 "$BENCH_LOAD_PID" 2>/dev/null || { cat "$DEPLOYED_TMP/load.out" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$started" ] || { _deployed_log "the load generator did not start its load"; return 1; }
  BENCH_T0=$(cat "$started")
}

bench_wait_load() {
  local rc=0
  wait "$BENCH_LOAD_PID" || rc=$?
  BENCH_LOAD_PID=""
  if [ ! -s "$BENCH_OUT/$BENCH_NAME-load.txt" ]; then
    echo "the load generator failed (exit $rc):" >&2
    cat "$DEPLOYED_TMP/load.out" >&2
    return 1
  fi
  return "$rc"
}

bench_stop_load() {
  if [ -n "$BENCH_LOAD_PID" ]; then
    kill -TERM "$BENCH_LOAD_PID" 2>/dev/null || true
    wait "$BENCH_LOAD_PID" 2>/dev/null || true
  fi
}

bench_sleep_until() {
  local wait_ms=$((BENCH_T0 + $1 - $(date +%s%3N)))
  [ "$wait_ms" -gt 0 ] && sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  return 0
}
