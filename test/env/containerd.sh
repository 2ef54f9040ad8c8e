#!/usr/bin/env bash
# What the containerd integration test needs (run as root). Idempotent:
# prints one line per step; quick when everything is in place.
#
# - The Debian 13 root of trixie.sh, which has containerd 1.7.24 (NRI
#   0.6.1), runc and the CNI plugins: trixie.sh is run (cached), unless
#   TRIXIE_ROOT names a root to use instead; either way it must have
#   containerd.
# - Our NRI plugin, wireguard4netns-nri, built from nri/ (its go.sum checks
#   every module) once its `go test` passes, and crictl, the CRI client, at the version pinned in
#   test/env/crio/go.mod (checked against crio/go.sum), built from a copy
#   of the downloaded module. Both static (CGO_ENABLED=0): they run inside
#   the Debian 13 root. They land in $WG4NS_TEST_DIR/containerd-<hash>/bin,
#   the hash covering nri/'s sources, the crictl pin, this recipe and the Go
#   version; the symlink $WG4NS_TEST_DIR/containerd names the current one.
#
# Environment overrides:
#   WG4NS_TEST_DIR  where the binaries go (default: /var/lib/wireguard4netns-test)
#   TRIXIE_ROOT     a Debian 13 root to use instead of trixie.sh's
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CHECKOUT=$(cd "$HERE/../.." && pwd)
TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
export PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local
# Bump RECIPE when the build steps below change: it forces a rebuild.
RECIPE=3
# crictl 1.34's go.mod says go 1.24.1 (nri/ needs 1.21).
GO_MIN=1.24.1

step() { printf 'containerd: %s\n' "$*"; }
die() { printf 'containerd: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
. "$HERE/packages.sh"
require_go "$GO_MIN"

# ---------------------------------------------------------------- root
if [ -n "${TRIXIE_ROOT:-}" ]; then
  ROOT=$TRIXIE_ROOT
  step "using the root TRIXIE_ROOT=$ROOT"
else
  bash "$HERE/trixie.sh" | sed 's/^/  /'
  ROOT=$TEST_DIR/trixie/root
fi
[ -x "$ROOT/usr/bin/containerd" ] || die "no containerd in $ROOT (trixie.sh installs it; an older root lacks it)"
step "containerd in the root: $(chroot "$ROOT" containerd --version | cut -d' ' -f3)"

# ---------------------------------------------------------------- build
mkdir -p "$TEST_DIR"
chmod 0755 "$TEST_DIR"
exec 9>"$TEST_DIR/containerd.lock"
flock 9 # one build at a time
PIN=$( {
  cd "$CHECKOUT/nri" && cat go.mod go.sum *.go
  cat "$HERE/crio/go.mod" "$HERE/crio/go.sum"
  echo "recipe=$RECIPE"
  go version
} | sha256sum | cut -c1-16)
OUT=$TEST_DIR/containerd-$PIN
CRICTL_VERSION=$(awk '$1 == "sigs.k8s.io/cri-tools" { print $2 }' "$HERE/crio/go.mod")
if [ -x "$OUT/bin/wireguard4netns-nri" ] && [ -x "$OUT/bin/crictl" ]; then
  step "binaries up to date in $OUT/bin"
else
  rm -rf "$OUT"
  mkdir -p "$OUT/build" "$OUT/bin.new"
  trap 'rm -rf "$OUT/build"' EXIT
  export GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
  LOG=$OUT/build.log
  start=$SECONDS
  # go.sum pins and checks every module the plugin uses (a mismatch stops
  # the build). Its unit tests (hook JSON, matching) run first.
  (cd "$CHECKOUT/nri" && nice -n 19 go test . && nice -n 19 go build -trimpath -o "$OUT/bin.new/wireguard4netns-nri" .) >"$LOG" 2>&1 \
    || die "testing or building wireguard4netns-nri failed: $(tail -30 "$LOG")"
  step "tested and built wireguard4netns-nri in $((SECONDS - start)) s"
  start=$SECONDS
  # The proxy serves exact versions only (no `go install ...@v`): download, check, build a copy.
  # go.sum checks it (a mismatch is a "SECURITY ERROR" and stops here).
  (cd "$HERE/crio" && go mod download sigs.k8s.io/cri-tools) >"$LOG" 2>&1 || die "go mod download failed: $(cat "$LOG")"
  src=$(go env GOMODCACHE)/sigs.k8s.io/cri-tools@$CRICTL_VERSION
  [ -d "$src" ] || die "go mod download left no $src"
  cp -r "$src" "$OUT/build/cri-tools"
  chmod -R u+w "$OUT/build"
  (cd "$OUT/build/cri-tools" && nice -n 19 go build -trimpath \
    -ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    -o "$OUT/bin.new/crictl" ./cmd/crictl) >"$LOG" 2>&1 || die "building crictl failed: $(tail -20 "$LOG")"
  step "built crictl $CRICTL_VERSION in $((SECONDS - start)) s"
  rm -rf "$OUT/build" "$LOG"
  trap - EXIT
  mv "$OUT/bin.new" "$OUT/bin"
fi

# ---------------------------------------------------------------- current
ln -sfn "containerd-$PIN" "$TEST_DIR/containerd.new"
mv -T "$TEST_DIR/containerd.new" "$TEST_DIR/containerd"
for old in "$TEST_DIR"/containerd-*; do
  [ "$old" = "$OUT" ] || { rm -rf "$old"; step "removed the old build $old"; }
done
usage=$("$OUT/bin/wireguard4netns-nri" -h 2>&1 || true) # (not piped into grep -q: SIGPIPE under pipefail)
grep -q -- -hooks-dir <<<"$usage" || die "$OUT/bin/wireguard4netns-nri -h does not work: $usage"
step "ready: $TEST_DIR/containerd/bin/{wireguard4netns-nri,crictl} ($("$OUT/bin/crictl" --version))"
