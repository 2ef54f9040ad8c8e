#!/usr/bin/env bash
# npm's install script: builds ../dist/wireguard-go with build.sh when Go
# (new enough for go.mod) and patch are here: $GO if set, else go on PATH,
# else /usr/local/go/bin/go. Otherwise it says what to install and lets the
# npm install succeed: only the commands that start wireguard-go need it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$here/go.mod")
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
have=$([ -x "$go" ] && "$go" env GOVERSION 2>/dev/null)

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
echo "wireguard4netns: wireguard-go was not built: $why. It needs Go >= $need (https://go.dev/dl, unpacked in /usr/local/go or on PATH) and patch; install them, then run \"npm rebuild -g wireguard4netns\" (or \"npm run build\" in a checkout). Until then, up and the hook fail with that advice; the other commands work." >&2
