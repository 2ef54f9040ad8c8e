#!/usr/bin/env bash
# Builds ../dist/wireguard-go: upstream wireguard-go at the version pinned in
# go.mod, fetched through the Go module proxy and checked against go.sum,
# plus this folder's *.go files, patched with ../wireguard-go.patch.
# Rebuilds only when an input changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$root/dist/wireguard-go
src=$root/dist/wireguard-go-src
stamp=$root/dist/.wireguard-go.stamp
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$go" ] || { echo "wireguard-go/build.sh: Go is not installed (apt-get install golang, or put go on PATH, or set GO=)" >&2; exit 1; }
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0

inputs=$(cd "$here" && cat build.sh go.mod go.sum ./*.go "$root/wireguard-go.patch" | sha256sum | cut -d' ' -f1)-$("$go" env GOVERSION)
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  exit 0
fi

module=golang.zx2c4.com/wireguard
cd "$here"
"$go" mod download "$module"            # verified against go.sum
upstream=$("$go" list -m -f '{{.Dir}}' "$module")

rm -rf "$src"
mkdir -p "$root/dist"
cp -r "$upstream" "$src"
chmod -R u+w "$src"
cp "$here"/*.go "$src"/
patch --quiet -p1 -d "$src" < "$root/wireguard-go.patch"

cd "$src"
"$go" build -trimpath -o "$out.tmp" \
  -ldflags "-s -w" .
mv "$out.tmp" "$out"
echo "$inputs" > "$stamp"
echo "built $out ($("$out" --version | head -1), patched)"
