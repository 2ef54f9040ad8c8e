#!/usr/bin/env bash
# Tests our Go code where it is built: in ../dist/wireguard-go-src, the
# upstream tree with this folder's *.go files (the *_test.go ones among them)
# and ../wireguard-go.patch, as build.sh assembles it. Checks that our files
# are gofmt-formatted, then go vet and go test, and the patch's own tests.
# Some tests need root (a network namespace, a TUN); they skip without it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
src=$root/dist/wireguard-go-src
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local

bash "$here/build.sh"
# build.sh copies ./*.go when it rebuilds; copy again in case it did not
# (nothing changed since its last build), so the tree has these very files.
cp "$here"/*_test.go "$src"/

unformatted=$("$("$go" env GOROOT)/bin/gofmt" -l "$here"/*.go)
if [ -n "$unformatted" ]; then
  echo "wireguard-go/test.sh: not gofmt-formatted (run gofmt -w):" >&2
  echo "$unformatted" >&2
  exit 1
fi

cd "$src"
# What Go and TypeScript must agree on (contract_test.go).
export WIREGUARD4NETNS_CONTRACT_DIR=$root/test/fixtures/contract
"$go" vet .
"$go" test -count=1 .
# What ../wireguard-go.patch changes in upstream's packages, tested there
# (only these tests: upstream's own are upstream's to run).
"$go" test -count=1 -run 'TestMessageSliceDoesNotReadTheBuffer|TestWorkersFollowGOMAXPROCS|TestNetlinkBufferOnTheHeap' ./device/ ./tun/
