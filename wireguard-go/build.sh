#!/usr/bin/env bash
# Builds ../dist/wireguard-go, or OUT: upstream wireguard-go at the version
# pinned in go.mod, fetched through the Go module proxy and checked against
# go.sum, plus this folder's *.go files, patched with ../wireguard-go.patch.
# Static (CGO off) and reproducible: -trimpath, no VCS stamp and no build id,
# so the same inputs, Go version and GOARCH give the same bytes wherever the
# tree is. GOARCH=arm64 cross-builds. Rebuilds only when an input changed.
#   build.sh [OUT]         build
#   build.sh --patch-hash  print the hash --version names (see buildinfo.go)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

patch_hash() {
  (cd "$here" && export LC_ALL=C && cat "$root/wireguard-go.patch" $(printf '%s\n' ./*.go | grep -v '_test\.go$' | sort) | sha256sum | cut -c1-12)
}
if [ "${1:-}" = --patch-hash ]; then
  patch_hash
  exit 0
fi

out=$(realpath -m "${1:-$root/dist/wireguard-go}")
src=$root/dist/wireguard-go-src
stamp=$(dirname "$out")/.$(basename "$out").stamp
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$go" ] || { echo "wireguard-go/build.sh: Go is not installed (apt-get install golang, or put go on PATH, or set GO=)" >&2; exit 1; }
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0

inputs=$(cd "$here" && cat build.sh go.mod go.sum ./*.go "$root/wireguard-go.patch" | sha256sum | cut -d' ' -f1)-$("$go" env GOVERSION GOOS GOARCH GOAMD64 GOARM64 | tr '\n' -)
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  exit 0
fi

module=golang.zx2c4.com/wireguard
cd "$here"
"$go" mod download "$module"            # verified against go.sum
upstream=$("$go" list -m -f '{{.Dir}}' "$module")
pin=$("$go" list -m -f '{{.Path}} {{.Version}}' "$module")

rm -rf "$src"
mkdir -p "$root/dist" "$(dirname "$out")"
cp -r "$upstream" "$src"
chmod -R u+w "$src"
cp "$here"/*.go "$src"/
patch --quiet -p1 -d "$src" < "$root/wireguard-go.patch"

cd "$src"
"$go" build -trimpath -buildvcs=false -o "$out.tmp" \
  -ldflags "-s -w -buildid= -X 'main.upstreamModule=$pin' -X main.patchHash=$(patch_hash)" .
mv "$out.tmp" "$out"
echo "$inputs" > "$stamp"
if [ "$("$go" env GOARCH)" = "$("$go" env GOHOSTARCH)" ]; then
  echo "built $out ($("$out" --version | head -1))"
else
  echo "built $out (linux-$("$go" env GOARCH), patch $(patch_hash))"
fi
