#!/usr/bin/env bash
# npm's install script. The prebuilt wireguard-go of our optional dependency
# for this machine (@wireguard4netns/linux-x64 or linux-arm64) is used when
# npm installed it and its --version names this package's patch. Otherwise
# build.sh builds ../dist/wireguard-go when Go (new enough for go.mod) and
# patch are here: $GO if set, else go on PATH, else /usr/local/go/bin/go.
# Otherwise it says what to install and lets the npm install succeed: only
# the commands that start wireguard-go need it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$here/go.mod")
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
have=$([ -x "$go" ] && "$go" env GOVERSION 2>/dev/null)
# The package and its binary, found by Node's resolution from the package's folder (nested, hoisted or a sibling), as src/tools.ts does.
read -r package prebuilt < <(cd "$here/.." && "${npm_node_execpath:-node}" -e '
  const name = `@wireguard4netns/${process.platform}-${process.arch}`;
  let path = "";
  try { path = require.resolve(`${name}/bin/wireguard-go`); } catch {}
  console.log(name, path);')
patch=$(bash "$here/build.sh" --patch-hash)

if [ -n "$prebuilt" ] && version=$("$prebuilt" --version 2>/dev/null | head -1) && [[ $version == *"wireguard4netns patch $patch" ]]; then
  echo "wireguard4netns: using $version, prebuilt in $package"
  exit 0
elif [ -n "$prebuilt" ]; then
  prebuilt_why="$package's wireguard-go is not built from this package's patch $patch (${version:-it does not run})"
else
  prebuilt_why="$package, the prebuilt wireguard-go, is not installed"
fi

if [ -z "$have" ]; then
  why="Go was not found (${GO:+GO=$GO, }PATH, /usr/local/go/bin/go)"
elif [ "$(printf '%s\n' "go$need" "$have" | sort -V | head -1)" != "go$need" ]; then
  why="$go is $have"
elif ! command -v patch >/dev/null; then
  why="patch is not installed (apt-get install patch)"
elif ! log=$(GO=$go bash "$here/build.sh" 2>&1); then
  why="the build failed: $(tail -3 <<<"$log" | tr '\n' ' ')"
else
  [ -n "$log" ] && echo "wireguard4netns: $log"
  exit 0
fi
echo "wireguard4netns: wireguard-go was not built: $prebuilt_why, and $why. It needs Go >= $need (https://go.dev/dl, unpacked in /usr/local/go or on PATH) and patch; install them, then run \"npm rebuild -g wireguard4netns\" (or \"npm run build\" in a checkout). Until then, up and the hook fail with that advice; the other commands work." >&2
