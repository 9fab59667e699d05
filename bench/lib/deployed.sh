# shellcheck shell=bash
# Runs Blog's API the way it is deployed: the Release build started with `dotnet Blog.ApiService.dll`
# from its own output folder (so appsettings.json loads), ASPNETCORE_ENVIRONMENT=Production, and its
# own PostgreSQL and Redis processes on free loopback ports. No AppHost, no dashboard. Sourced by
# benchmark and fault scripts; needs bash 4.3+, the Release build, PostgreSQL, redis-server and curl
# (scripts/setup.sh app installs them).
#
#   source bench/lib/deployed.sh
#   trap deployed_cleanup EXIT                  the caller installs the traps; bash skips the EXIT trap when
#   trap 'exit 130' INT; trap 'exit 143' TERM     a signal kills it, so turn INT/TERM into an exit
#   deployed_build                              dotnet build Blog.sln -c Release (optional)
#   deployed_start_postgres                     sets DEPLOYED_PG_PORT, DEPLOYED_PG_PID, DEPLOYED_DB_CONNECTION
#   deployed_start_redis                        sets DEPLOYED_REDIS_PORT, DEPLOYED_REDIS_PID, DEPLOYED_REDIS_CONNECTION
#   deployed_start_api [VAR=value ...]          starts one API instance with extra environment on top of the
#                                               deployed base (later values win; VAR= sets it empty) and waits
#                                               for /health; sets DEPLOYED_API_PID, DEPLOYED_API_PORT,
#                                               DEPLOYED_API_URL, DEPLOYED_API_LOG (the file the default sink writes).
#                                               The base, in a clean environment (env -i): ASPNETCORE_ENVIRONMENT=
#                                               Production, ASPNETCORE_URLS, ConnectionStrings__blogdb/__cache,
#                                               Auth__SigningKey, Metrics__ScrapeToken, Redaction__HmacKey,
#                                               RateLimiting__Enabled=false; no OTEL_* and no Sentry DSN.
#   deployed_stop_api [PID]                     SIGTERM (SIGKILL after 15 s) the API, default the last started,
#                                               then waits for its output sink to finish
#   deployed_create_post [TITLE] [BODY]         registers a user, logs in, creates a post; prints its id
#   deployed_free_port                          prints a loopback TCP port nothing listens on
#   deployed_cleanup                            stops every process started here and removes the temp dirs
#
# Settings (environment, read when a function runs):
#   DEPLOYED_ROOT         repository root (default: two levels above this file)
#   DEPLOYED_API_DIR      the API's output folder (default $DEPLOYED_ROOT/Blog.ApiService/bin/Release/net10.0)
#   DEPLOYED_API_SINK     shell command that reads the API's stdout+stderr on its stdin, as a container
#                         runtime would (default: cat > "$DEPLOYED_API_LOG"); e.g. 'wc -l > lines.txt'
#   DEPLOYED_HEALTH_TIMEOUT  seconds to wait for /health (default 90)
# Values the API gets, readable after sourcing: DEPLOYED_SCRAPE_TOKEN (bearer token for /metrics),
# DEPLOYED_SIGNING_KEY, DEPLOYED_HMAC_KEY, DEPLOYED_PG_PASSWORD; DEPLOYED_TMP is this run's temp dir (created when sourced, removed by cleanup).

DEPLOYED_ROOT=${DEPLOYED_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEPLOYED_TMP=""
DEPLOYED_PIDS=()          # every process started here, stopped by deployed_cleanup
declare -A DEPLOYED_SINK_PIDS=()  # API pid -> pid of the process reading its output

_deployed_secret() {
  local random
  random=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')
  echo "${random:0:$1}"
}

DEPLOYED_SIGNING_KEY=$(_deployed_secret 48)
DEPLOYED_SCRAPE_TOKEN=$(_deployed_secret 40)
DEPLOYED_HMAC_KEY=$(_deployed_secret 44)
DEPLOYED_PG_PASSWORD=$(_deployed_secret 24)

_deployed_log() { echo "deployed: $*" >&2; }

_deployed_tmp() {
  if [ -z "$DEPLOYED_TMP" ]; then
    DEPLOYED_TMP=$(mktemp -d /tmp/blog-deployed-XXXXXX)
    # PostgreSQL runs as the postgres user, which must be able to reach its data directory inside.
    chmod 755 "$DEPLOYED_TMP"
  fi
}

# Created now, not on first use, so that functions called in a subshell share it.
_deployed_tmp

# Ports come from below the kernel's ephemeral range (where outgoing connections bind, so a port nothing
# listens on may still be taken) and are remembered in a file, because callers use $(deployed_free_port)
# and a subshell's variables are lost.
deployed_free_port() {
  _deployed_tmp
  local low port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  [ "$low" -gt 11000 ] || low=32768
  touch "$DEPLOYED_TMP/ports"
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % (low - 10000)))
    grep -qx "$port" "$DEPLOYED_TMP/ports" && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port" >>"$DEPLOYED_TMP/ports"
      echo "$port"
      return 0
    fi
  done
  _deployed_log "no free port found"
  return 1
}

_deployed_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ]; then echo "$dir"; else dirname "$(command -v postgres)"; fi
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
_deployed_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

deployed_build() {
  (cd "$DEPLOYED_ROOT" && dotnet build Blog.sln -c Release --nologo -v quiet)
}

deployed_start_postgres() {
  _deployed_tmp
  local bin data port
  bin=$(_deployed_pg_bin)
  data="$DEPLOYED_TMP/postgres"
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
  chmod 700 "$data"
  _deployed_as_postgres "$bin/initdb" -D "$data" -U postgres --auth-host=scram-sha-256 --auth-local=peer \
    --encoding=UTF8 --no-instructions >"$DEPLOYED_TMP/initdb.log" 2>&1 \
    || { _deployed_log "initdb failed:"; cat "$DEPLOYED_TMP/initdb.log" >&2; return 1; }
  # Single-user mode sets the password and creates the database before any client can connect.
  printf "ALTER ROLE postgres PASSWORD '%s';\nCREATE DATABASE blogdb;\n" "$DEPLOYED_PG_PASSWORD" \
    | _deployed_as_postgres "$bin/postgres" --single -D "$data" postgres >/dev/null 2>"$DEPLOYED_TMP/single.log" \
    || { _deployed_log "could not set the password or create the database"; return 1; }

  port=$(deployed_free_port)
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$data" -p "$port" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= >"$DEPLOYED_TMP/postgres.log" 2>&1 &
  else
    "$bin/postgres" -D "$data" -p "$port" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= >"$DEPLOYED_TMP/postgres.log" 2>&1 &
  fi
  DEPLOYED_PG_PID=$!
  DEPLOYED_PIDS+=("$DEPLOYED_PG_PID")
  DEPLOYED_PG_PORT=$port
  for _ in $(seq 1 60); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    kill -0 "$DEPLOYED_PG_PID" 2>/dev/null || break
    sleep 0.5
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" \
    || { _deployed_log "PostgreSQL did not start:"; tail -n 20 "$DEPLOYED_TMP/postgres.log" >&2; return 1; }
  # The shape Aspire's PostgreSQL integration hands to AddNpgsqlDbContext (see Blog.AppHost/Infrastructure/LocalPostgres.cs).
  DEPLOYED_DB_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Password=$DEPLOYED_PG_PASSWORD;Database=blogdb"
}

deployed_start_redis() {
  _deployed_tmp
  local port
  port=$(deployed_free_port)
  mkdir -p "$DEPLOYED_TMP/redis"
  (cd "$DEPLOYED_TMP/redis" && exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no) \
    >"$DEPLOYED_TMP/redis.log" 2>&1 &
  DEPLOYED_REDIS_PID=$!
  DEPLOYED_PIDS+=("$DEPLOYED_REDIS_PID")
  DEPLOYED_REDIS_PORT=$port
  for _ in $(seq 1 40); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$DEPLOYED_REDIS_PID" 2>/dev/null || break
    sleep 0.25
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
    || { _deployed_log "Redis did not start:"; tail -n 20 "$DEPLOYED_TMP/redis.log" >&2; return 1; }
  # host:port, as Aspire's Redis integration hands to AddRedisClient (see Blog.AppHost/Infrastructure/LocalRedis.cs).
  DEPLOYED_REDIS_CONNECTION="127.0.0.1:$port"
}

deployed_start_api() {
  _deployed_tmp
  local dir=${DEPLOYED_API_DIR:-$DEPLOYED_ROOT/Blog.ApiService/bin/Release/net10.0}
  [ -f "$dir/Blog.ApiService.dll" ] || { _deployed_log "no build in $dir (run deployed_build)"; return 1; }
  [ -n "${DEPLOYED_DB_CONNECTION:-}" ] || { _deployed_log "start PostgreSQL first"; return 1; }
  [ -n "${DEPLOYED_REDIS_CONNECTION:-}" ] || { _deployed_log "start Redis first"; return 1; }

  local port fifo sink
  port=$(deployed_free_port)
  DEPLOYED_API_LOG="$DEPLOYED_TMP/api-$port.log"
  fifo="$DEPLOYED_TMP/api-$port.out"
  mkfifo "$fifo"
  sink=${DEPLOYED_API_SINK:-cat > "$DEPLOYED_API_LOG"}
  bash -c "$sink" <"$fifo" &
  local sink_pid=$!

  # env -i: only what a deployment sets, plus what finds the runtime (PATH, DOTNET_ROOT) and what
  # diagnostics tools need to find the process (TMPDIR holds its diagnostic socket).
  local base=(
    "PATH=$PATH" "HOME=${HOME:-/root}"
    ASPNETCORE_ENVIRONMENT=Production
    "ASPNETCORE_URLS=http://127.0.0.1:$port"
    "ConnectionStrings__blogdb=$DEPLOYED_DB_CONNECTION"
    "ConnectionStrings__cache=$DEPLOYED_REDIS_CONNECTION"
    "Auth__SigningKey=$DEPLOYED_SIGNING_KEY"
    "Metrics__ScrapeToken=$DEPLOYED_SCRAPE_TOKEN"
    "Redaction__HmacKey=$DEPLOYED_HMAC_KEY"
    RateLimiting__Enabled=false
  )
  local name
  for name in DOTNET_ROOT TMPDIR; do
    [ -n "${!name:-}" ] && base+=("$name=${!name}")
  done
  (cd "$dir" && exec env -i "${base[@]}" "$@" dotnet Blog.ApiService.dll) >"$fifo" 2>&1 &
  DEPLOYED_API_PID=$!
  DEPLOYED_PIDS+=("$DEPLOYED_API_PID")
  DEPLOYED_SINK_PIDS[$DEPLOYED_API_PID]=$sink_pid
  DEPLOYED_API_PORT=$port
  DEPLOYED_API_URL="http://127.0.0.1:$port"

  local timeout=${DEPLOYED_HEALTH_TIMEOUT:-90} start=$SECONDS
  until curl -sf -o /dev/null "$DEPLOYED_API_URL/health"; do
    if ! kill -0 "$DEPLOYED_API_PID" 2>/dev/null || [ $((SECONDS - start)) -ge "$timeout" ]; then
      _deployed_log "the API did not become healthy on $DEPLOYED_API_URL"
      [ -z "${DEPLOYED_API_SINK:-}" ] && tail -n 20 "$DEPLOYED_API_LOG" >&2
      deployed_stop_api "$DEPLOYED_API_PID"
      return 1
    fi
    sleep 0.25
  done
}

_deployed_stop_pid() {
  local pid=$1 signal=${2:-TERM}
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -"$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

deployed_stop_api() {
  local pid=${1:-${DEPLOYED_API_PID:-}}
  [ -n "$pid" ] || return 0
  _deployed_stop_pid "$pid" TERM
  local sink=${DEPLOYED_SINK_PIDS[$pid]:-}
  if [ -n "$sink" ]; then
    wait "$sink" 2>/dev/null || true
    unset "DEPLOYED_SINK_PIDS[$pid]"
  fi
}

# Registers a fresh user, logs in and creates a post on the API at $1 (default the last started);
# prints the post's id.
deployed_create_post() {
  local api=${DEPLOYED_API_URL:?start the API first}
  local title=${1:-Benchmark post} body=${2:-A body of moderate length, as a short blog post would have.}
  local email="bench-$RANDOM$RANDOM@example.test" password="deployed-password-1" token id
  curl -sf -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"displayName\":\"Bench\",\"password\":\"$password\"}" "$api/api/users" >/dev/null \
    || { _deployed_log "registration failed"; return 1; }
  token=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$api/api/auth/login" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || { _deployed_log "login failed"; return 1; }
  id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d "{\"title\":\"$title\",\"body\":\"$body\"}" "$api/api/posts" | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
  [ -n "$id" ] || { _deployed_log "creating the post failed"; return 1; }
  echo "$id"
}

deployed_cleanup() {
  local pid sink i
  # Newest first: API instances before Redis and PostgreSQL.
  for ((i = ${#DEPLOYED_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${DEPLOYED_PIDS[$i]}
    if [ "$pid" = "${DEPLOYED_PG_PID:-}" ]; then
      # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
      _deployed_stop_pid "$pid" INT
    else
      _deployed_stop_pid "$pid" TERM
    fi
    sink=${DEPLOYED_SINK_PIDS[$pid]:-}
    [ -n "$sink" ] && { wait "$sink" 2>/dev/null || true; }
  done
  DEPLOYED_PIDS=()
  DEPLOYED_SINK_PIDS=()
  if [ -n "$DEPLOYED_TMP" ]; then
    rm -rf "$DEPLOYED_TMP"
    DEPLOYED_TMP=""
  fi
}
