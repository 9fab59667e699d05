#!/usr/bin/env bash
# Installs what Blog needs on a fresh Debian machine; safe to run again (installs only what is missing).
#   scripts/setup.sh app    PostgreSQL, Redis and Prometheus for the AppHost's local mode
#   scripts/setup.sh test   the above, plus chromium and wrk for the tests (promtool comes with prometheus)
set -euo pipefail
profile=${1:-app}

packages=(postgresql redis-server prometheus)
# npm installs Sentry's Spotlight sidecar and the web frontend's browser bundle; both need Node 20 or newer.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "$profile" = test ]; then
  packages+=(chromium chromium-driver wrk)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian packages start system services we do not use: Blog runs its own processes (Redis on a free port,
# Prometheus on 9090, which the distribution's service would hold). Recommends are not installed, so no
# prometheus-node-exporter comes with prometheus; should one be present, it is stopped too.
system_services=(redis-server prometheus prometheus-node-exporter)
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for service in "${system_services[@]}"; do
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
else
  # Without systemd (containers, CI), the prometheus package's init scripts may have started them.
  for service in prometheus prometheus-node-exporter; do
    if [ -x "/etc/init.d/$service" ]; then
      $sudo_cmd "/etc/init.d/$service" stop >/dev/null 2>&1 || true
      $sudo_cmd update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
  done
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version 2>/dev/null || echo none)): install it from your distribution's backports or NodeSource" >&2
  exit 1
fi

# Spotlight, pinned by tools/spotlight/package-lock.json; reinstalled only when the lock file changes.
spotlight="$(cd "$(dirname "$0")/.." && pwd)/tools/spotlight"
if ! cmp -s "$spotlight/package-lock.json" "$spotlight/node_modules/.installed-lock.json"; then
  echo "setup: installing Sentry Spotlight (npm ci)"
  (cd "$spotlight" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
fi

command -v dotnet >/dev/null || { echo "setup: the .NET SDK 10 is required (dotnet not found on PATH)" >&2; exit 1; }
