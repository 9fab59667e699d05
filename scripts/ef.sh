#!/usr/bin/env bash
# Runs EF Core's command-line tool against Blog.ApiService, e.g.:
#   scripts/ef.sh migrations add AddTags
# The dotnet-ef global tool is not served by our package feed, so this runs the ef.dll that the
# Microsoft.EntityFrameworkCore.Tools package (referenced by the API project) ships.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
project="$root/Blog.ApiService"
dotnet build "$project" -c Debug --nologo -v quiet >/dev/null
version=$(sed -n 's/.*Include="Microsoft.EntityFrameworkCore.Tools" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
[ "$version" = '$(AspNetCoreVersion)' ] && version=$(sed -n 's/.*<AspNetCoreVersion>\(.*\)<\/AspNetCoreVersion>.*/\1/p' "$root/Directory.Packages.props")
ef="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.entityframeworkcore.tools/$version/tools/net10.0/any/ef.dll"
out="$project/bin/Debug/net10.0"
cd "$project"
dotnet exec --depsfile "$out/Blog.ApiService.deps.json" --runtimeconfig "$out/Blog.ApiService.runtimeconfig.json" "$ef" \
  "$@" --assembly "$out/Blog.ApiService.dll" --project "$project/Blog.ApiService.csproj" --startup-assembly "$out/Blog.ApiService.dll" \
  --project-dir "$project/" --root-namespace Blog.ApiService --language C# --framework net10.0 --working-dir "$project"
