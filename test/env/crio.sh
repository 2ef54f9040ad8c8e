#!/usr/bin/env bash
# CRI-O, pinns and crictl for the CRI-O integration test (run as root).
# Idempotent: safe to run again; prints one line per step.
#
# Debian 12 has no CRI-O package, so this builds the versions pinned in
# test/env/crio/go.mod from the Go module proxy. `go mod download` checks
# each module against test/env/crio/go.sum; each is then built from a copy
# with its own go.mod and go.sum (those pin and check every dependency).
# The binaries land in $WG4NS_TEST_DIR/crio-<hash of the pin, the build
# recipe and the Go version>/bin, and the symlink $WG4NS_TEST_DIR/crio
# points at the current one; a build happens only when that hash changes.
# No upstream source is kept: only the three binaries.
#
# Environment overrides:
#   WG4NS_TEST_DIR    where the binaries go (default: /var/lib/wireguard4netns-test)
set -euo pipefail

SCRIPT=$(realpath "$0")
cd "$(dirname "$SCRIPT")/crio" # the pin: go.mod, go.sum
TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
export PATH=/usr/local/go/bin:$PATH
# Bump RECIPE when the build steps below change: it forces a rebuild.
RECIPE=1
# Build tags: none that needs an extra C library (gpgme: pure Go openpgp
# instead; no ostree, btrfs or devicemapper); seccomp needs libseccomp.
TAGS="containers_image_openpgp containers_image_ostree_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper seccomp"

# pkg-config + libseccomp-dev: the seccomp tag (cgo). gcc, make, libc6-dev:
# cgo and pinns (static C). The rest are what the test runs CRI-O with.
PACKAGES=(libseccomp-dev pkg-config gcc make libc6-dev conmon runc rootlesskit
  slirp4netns uidmap containernetworking-plugins podman jq iproute2 util-linux procps)

step() { printf 'crio: %s\n' "$*"; }
die() { printf 'crio: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
# CRI-O 1.34's go.mod says go 1.24.1. An older Go would fetch a newer
# toolchain, which it checks against sum.golang.org: not reachable here.
GO_MIN=1.24.1
. "$(dirname "$SCRIPT")/packages.sh"
require_go "$GO_MIN"

# ---------------------------------------------------------------- packages
install_missing "${PACKAGES[@]}"

# ---------------------------------------------------------------- pin
mkdir -p "$TEST_DIR"
chmod 0755 "$TEST_DIR"
exec 9>"$TEST_DIR/crio.lock"
flock 9 # one build at a time (concurrent test runs on one machine)
PIN=$( { cat go.mod go.sum; echo "recipe=$RECIPE tags=$TAGS"; go version; } | sha256sum | cut -c1-16)
OUT=$TEST_DIR/crio-$PIN
version_of() { awk -v m="$1" '$1 == m { print $2 }' go.mod; }
CRIO_VERSION=$(version_of github.com/cri-o/cri-o)
CRICTL_VERSION=$(version_of sigs.k8s.io/cri-tools)
if [ -x "$OUT/bin/crio" ] && [ -x "$OUT/bin/pinns" ] && [ -x "$OUT/bin/crictl" ]; then
  step "binaries up to date in $OUT/bin (CRI-O $CRIO_VERSION, crictl $CRICTL_VERSION)"
else
  # ------------------------------------------------------------ download
  # Versions from go.mod, hashes checked against go.sum (a mismatch is a
  # "SECURITY ERROR" and stops here). The proxy serves exact versions only.
  export GOFLAGS="-mod=readonly -buildvcs=false"
  err=$(mktemp)
  dl=$(go mod download -json github.com/cri-o/cri-o sigs.k8s.io/cri-tools 2>"$err") \
    || die "go mod download failed: $(cat "$err") $dl"
  rm -f "$err"
  dir_of() { jq -r --arg p "$1" 'select(.Path == $p) | .Dir' <<<"$dl"; }
  CRIO_SRC=$(dir_of github.com/cri-o/cri-o)
  CRICTL_SRC=$(dir_of sigs.k8s.io/cri-tools)
  [ -d "$CRIO_SRC" ] && [ -d "$CRICTL_SRC" ] || die "go mod download gave no source dirs: $dl"
  step "downloaded and checked against go.sum: cri-o $CRIO_VERSION, cri-tools $CRICTL_VERSION"

  # ------------------------------------------------------------ build
  # nice: the machine is shared. Sources are copies (the module cache is
  # read-only), removed once the binaries are out.
  rm -rf "$OUT"
  mkdir -p "$OUT/build" "$OUT/bin.new"
  trap 'rm -rf "$OUT/build"' EXIT
  cp -r "$CRIO_SRC" "$OUT/build/cri-o"
  cp -r "$CRICTL_SRC" "$OUT/build/cri-tools"
  chmod -R u+w "$OUT/build"
  start=$SECONDS
  LOG=$OUT/build.log # go's "downloading ..." lines; shown on failure
  (cd "$OUT/build/cri-o" && nice -n 19 go build -trimpath -tags "$TAGS" -o "$OUT/bin.new/crio" ./cmd/crio) >"$LOG" 2>&1 \
    || die "building crio failed: $(tail -20 "$LOG")"
  step "built crio in $((SECONDS - start)) s"
  start=$SECONDS
  nice -n 19 make -s -C "$OUT/build/cri-o/pinns" >"$LOG" 2>&1 || die "building pinns failed: $(tail -20 "$LOG")"
  install -m 0755 "$OUT/build/cri-o/bin/pinns" "$OUT/bin.new/pinns"
  (cd "$OUT/build/cri-tools" && nice -n 19 go build -trimpath \
    -ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    -o "$OUT/bin.new/crictl" ./cmd/crictl) >"$LOG" 2>&1 || die "building crictl failed: $(tail -20 "$LOG")"
  step "built pinns and crictl in $((SECONDS - start)) s"
  rm -rf "$OUT/build" "$LOG"
  trap - EXIT
  mv "$OUT/bin.new" "$OUT/bin"
fi

# ---------------------------------------------------------------- current
ln -sfn "crio-$PIN" "$TEST_DIR/crio.new"
mv -T "$TEST_DIR/crio.new" "$TEST_DIR/crio"
for old in "$TEST_DIR"/crio-*; do
  [ "$old" = "$OUT" ] || { rm -rf "$old"; step "removed the old build $old"; }
done
"$OUT/bin/crio" --version | grep -qx "crio version ${CRIO_VERSION#v}" \
  || die "$OUT/bin/crio --version does not say ${CRIO_VERSION#v}: $("$OUT/bin/crio" --version 2>&1 | head -3)"
step "ready: $TEST_DIR/crio/bin/{crio,pinns,crictl} ($("$OUT/bin/crictl" --version))"
