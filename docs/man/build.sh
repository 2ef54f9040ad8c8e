#!/usr/bin/env bash
# Builds the man pages, dist/man/wireguard4netns.1 and
# dist/man/wireguard4netns.conf.5, from this folder's *.md with go-md2man,
# as podman builds its own. go-md2man is built once from the Go module
# proxy at the version pinned below, into dist/tools/ (never committed);
# a page is rebuilt only when its source or the tool changed.
#   build.sh [OUTDIR]      default: dist/man
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$root/dist/man}")
module=github.com/cpuguy83/go-md2man/v2
version=v2.0.7
tool=$root/dist/tools/go-md2man-$version
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

if [ ! -x "$tool" ]; then
  [ -x "$go" ] || { echo "docs/man/build.sh: Go is needed to build go-md2man (put go on PATH, or set GO=)" >&2; exit 1; }
  mkdir -p "$(dirname "$tool")"
  bin=$(mktemp -d)
  trap 'chmod -R u+w "$bin" 2>/dev/null; rm -rf "$bin"' EXIT
  # go install MOD@VERSION checks the module against the checksum database.
  # Where that is refused, download the module (checked the same way) and
  # build it in a copy, with its own go.sum.
  if ! GOFLAGS= GOBIN="$bin" GOTOOLCHAIN=local CGO_ENABLED=0 "$go" install -trimpath "$module@$version" 2>"$bin/install.err"; then
    dir=$(cd "$bin" && GOFLAGS= "$go" mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$dir" ] || { cat "$bin/install.err" >&2; echo "docs/man/build.sh: cannot get $module@$version" >&2; exit 1; }
    cp -r "$dir" "$bin/src"
    chmod -R u+w "$bin/src"
    (cd "$bin/src" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -trimpath -o "$bin/go-md2man" .)
  fi
  mv "$bin/go-md2man" "$tool"
fi

mkdir -p "$out"
for md in "$here"/*.md; do
  page=$out/$(basename "$md" .md)
  if [ "$page" -nt "$md" ] && [ "$page" -nt "$tool" ]; then continue; fi
  "$tool" -in "$md" -out "$page.tmp"
  mv "$page.tmp" "$page"
  echo "built $page"
done
