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

