#!/usr/bin/env bash
# kubelet, kube-apiserver, kube-controller-manager, kubectl and kine for the Kubernetes integration
# test (run as root). Idempotent: safe to run again; prints one line per step.
#
# Debian 12 has no Kubernetes package, so this builds the versions pinned
# in test/env/kubernetes/go.mod from the Go module proxy. `go mod download`
# checks each module against test/env/kubernetes/go.sum. The module
# k8s.io/kubernetes has neither staging/ nor vendor/: its go.mod replaces
# 31 k8s.io modules with ./staging/src/k8s.io/NAME, so a copy of it gets
# each of them from the pin (the two the proxy refuses at this version,
# which nothing built here imports, get a one-line go.mod). Its own go.mod
# and go.sum then pin and check every other dependency; kine's likewise.
# The binaries land in $WG4NS_TEST_DIR/kubernetes-<hash of the pin, the
# build recipe and the Go version>/bin, and the symlink
# $WG4NS_TEST_DIR/kubernetes points at the current one; a build happens
# only when that hash changes. No upstream source is kept.
#
# Environment overrides:
#   WG4NS_TEST_DIR    where the binaries go (default: /var/lib/wireguard4netns-test)
set -euo pipefail

SCRIPT=$(realpath "$0")
cd "$(dirname "$SCRIPT")/kubernetes" # the pin: go.mod, go.sum
TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
export PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local GOWORK=off
# Bump RECIPE when the build steps below change: it forces a rebuild.
RECIPE=2
# The k8s.io modules the proxy refuses at the pinned version; nothing
# built here imports them.
STANDINS="k8s.io/sample-cli-plugin k8s.io/sample-controller"
BINARIES="kubelet kube-apiserver kube-controller-manager kubectl kine"

# gcc, libc6-dev: cgo for kine's SQLite. The rest: what the test's cluster
# set-up runs (certificates, the node's address, CRI-O's image import).
PACKAGES=(gcc libc6-dev openssl jq iproute2 util-linux procps podman)

step() { printf 'kubernetes: %s\n' "$*"; }
die() { printf 'kubernetes: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
# k8s.io/kubernetes 1.34's go.mod says go 1.24.0; kine's likewise or lower.
# An older Go would fetch a newer toolchain, which it checks against
# sum.golang.org: not reachable here.
GO_MIN=1.24.0
. "$(dirname "$SCRIPT")/packages.sh"
require_go "$GO_MIN"

# ---------------------------------------------------------------- packages
install_missing "${PACKAGES[@]}"

# ---------------------------------------------------------------- pin
mkdir -p "$TEST_DIR"
chmod 0755 "$TEST_DIR"
exec 9>"$TEST_DIR/kubernetes.lock"
flock 9 # one build at a time (concurrent test runs on one machine)
version_of() { awk -v m="$1" '$1 == m { print $2 }' go.mod; }
K8S_VERSION=$(version_of k8s.io/kubernetes)
KINE_VERSION=$(version_of github.com/k3s-io/kine)
MODULES=$(awk '/^require \(/ { on = 1; next } on && /^\)/ { on = 0 } on { print $1 }' go.mod)
# What `kubectl version` and the components' version checks read; a
# module build would say v0.0.0-master+$Format:%H$. buildDate is fixed, so
# that a rebuild gives the same bytes.
minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS="$LDFLAGS -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  LDFLAGS="$LDFLAGS -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
PIN=$( { cat go.mod go.sum; echo "recipe=$RECIPE standins=$STANDINS ldflags=$LDFLAGS"; go version; } | sha256sum | cut -c1-16)
OUT=$TEST_DIR/kubernetes-$PIN
have_all() { for b in $BINARIES; do [ -x "$OUT/bin/$b" ] || return 1; done; }
if have_all; then
  step "binaries up to date in $OUT/bin (Kubernetes $K8S_VERSION, kine $KINE_VERSION)"
else
  # ------------------------------------------------------------ download
  # Versions from go.mod, hashes checked against go.sum (a mismatch is a
  # "SECURITY ERROR" and stops here). The proxy serves exact versions only.
  export GOFLAGS="-mod=readonly -buildvcs=false"
  start=$SECONDS
  err=$(mktemp)
  # shellcheck disable=SC2086
  dl=$(go mod download -json $MODULES 2>"$err") || die "go mod download failed: $(cat "$err") $dl"
  rm -f "$err"
  dir_of() {
    local v
    v=$(jq -r --arg p "$1" 'select(.Path == $p) | .Version' <<<"$dl")
    [ "$v" = "$(version_of "$1")" ] || die "go mod download gave $1 $v, not the pinned $(version_of "$1")"
    jq -r --arg p "$1" 'select(.Path == $p) | .Dir' <<<"$dl"
  }
  K8S_SRC=$(dir_of k8s.io/kubernetes)
  KINE_SRC=$(dir_of github.com/k3s-io/kine)
  step "downloaded and checked against go.sum: $(wc -w <<<"$MODULES") modules in $((SECONDS - start)) s"

  # ------------------------------------------------------------ assemble
  # Sources are copies (the module cache is read-only), removed once the
  # binaries are out.
  rm -rf "$OUT"
  mkdir -p "$OUT/build" "$OUT/bin.new"
  trap 'rm -rf "$OUT/build"' EXIT
  k8s=$OUT/build/kubernetes
  cp -r "$K8S_SRC" "$k8s"
  cp -r "$KINE_SRC" "$OUT/build/kine"
  chmod -R u+w "$OUT/build"
  staged=0
  for m in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { print $1 }' "$k8s/go.mod" | sort -u); do
    [ "$(awk -v m="$m" '$2 == "=>" && $1 == m { print $3 }' "$k8s/go.mod" | head -1)" = "./staging/src/$m" ] \
      || die "k8s.io/kubernetes replaces $m with a folder other than ./staging/src/$m"
    mkdir -p "$k8s/staging/src/$(dirname "$m")"
    if [[ " $STANDINS " == *" $m "* ]]; then
      mkdir -p "$k8s/staging/src/$m"
      printf 'module %s\n\ngo 1.24.0\n' "$m" >"$k8s/staging/src/$m/go.mod"
    else
      grep -qx -- "$m" <<<"$MODULES" || die "$m (replaced by k8s.io/kubernetes) is not pinned in test/env/kubernetes/go.mod"
      cp -r "$(dir_of "$m")" "$k8s/staging/src/$m"
      chmod -R u+w "$k8s/staging/src/$m"
      staged=$((staged + 1))
      # It requires them at v0.0.0; the staged modules require one another
      # at the real version, which go would want written in its go.mod.
      v=$(version_of "$m")
      (cd "$k8s" && go mod edit -require="$m@$v")
    fi
  done
  step "assembled k8s.io/kubernetes $K8S_VERSION with $staged staging modules (stand-ins: $STANDINS)"

  # ------------------------------------------------------------ build
  # nice: the machine is shared. Static, as upstream builds them.
  LOG=$OUT/build.log # go's "downloading ..." lines; shown on failure
  start=$SECONDS
  (cd "$k8s" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin.new/" ./cmd/kubelet) >"$LOG" 2>&1 \
    || die "building kubelet failed: $(tail -20 "$LOG")"
  step "built kubelet in $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$k8s" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin.new/" ./cmd/kube-apiserver ./cmd/kubectl) \
    >"$LOG" 2>&1 || die "building kube-apiserver and kubectl failed: $(tail -20 "$LOG")"
  step "built kube-apiserver and kubectl in $((SECONDS - start)) s"
  # The Deployment, ReplicaSet and StatefulSet controllers (and the
  # service accounts' tokens) for the tests that need them.
  start=$SECONDS
  (cd "$k8s" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin.new/" ./cmd/kube-controller-manager) \
    >"$LOG" 2>&1 || die "building kube-controller-manager failed: $(tail -20 "$LOG")"
  step "built kube-controller-manager in $((SECONDS - start)) s"
  # kine: etcd's API on SQLite (cgo), as k3s uses it.
  start=$SECONDS
  (cd "$OUT/build/kine" && nice -n 19 go build -trimpath -ldflags "-s -w" -o "$OUT/bin.new/kine" .) >"$LOG" 2>&1 \
    || die "building kine failed: $(tail -20 "$LOG")"
  step "built kine in $((SECONDS - start)) s"
  rm -rf "$OUT/build" "$LOG"
  trap - EXIT
  mv "$OUT/bin.new" "$OUT/bin"
fi

# ---------------------------------------------------------------- current
ln -sfn "kubernetes-$PIN" "$TEST_DIR/kubernetes.new"
mv -T "$TEST_DIR/kubernetes.new" "$TEST_DIR/kubernetes"
for old in "$TEST_DIR"/kubernetes-*; do
  [ "$old" = "$OUT" ] || { rm -rf "$old"; step "removed the old build $old"; }
done
"$OUT/bin/kubelet" --version | grep -qx "Kubernetes $K8S_VERSION" \
  || die "$OUT/bin/kubelet --version does not say $K8S_VERSION: $("$OUT/bin/kubelet" --version 2>&1 | head -3)"
step "ready: $TEST_DIR/kubernetes/bin/{${BINARIES// /,}} (Kubernetes $K8S_VERSION, kine $KINE_VERSION)"
