#!/usr/bin/env bash
# Sets up prerequisites and runs Blog: Postgres, Redis, the API, the web frontend and the Aspire dashboard.
# Extra arguments go to the AppHost, e.g. scripts/run.sh Blog:Infrastructure=local
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" app
exec dotnet run --project "$root/Blog.AppHost" --launch-profile http -- "$@"
