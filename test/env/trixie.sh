#!/usr/bin/env bash
# A Debian 13 (trixie) root with rootless podman 5, for the podman5 tests
# (run as root). Idempotent: prints one line per step; quick when the
# cached root is up to date.
#
# The root is built with debootstrap from the Debian mirror apt already
# uses, checked (rootless podman runs a container in it), and only then put
# in place: $TRIXIE_DIR/root is a symlink to root-STAMP, swapped with one
# rename, so an interrupted build never leaves a half root (its build
# folder is removed by the next run). STAMP hashes this script, the mirror
# and the host's apt Acquire settings: change any and the root is rebuilt.
#
# Inside the root (enter it with test/env/trixie-enter.sh):
#   user lab (uid 2000) with subuids/subgids $LAB_SUBID:65536,
#   /usr/local/bin/as-lab CMD...  runs CMD as lab, with a clean environment,
#   /etc/containers/containers.conf: cgroupfs, events_logger file, crun,
#   /srv/w4n-rootfs: a busybox-static rootfs for `podman run --rootfs`,
#   /srv/w4n-iperf-rootfs: the same with iperf3 and its libraries (npm run bench),
#   /opt/w4n/dist: where trixie-enter.sh binds the checkout's dist/.
#
# Environment overrides:
#   WG4NS_TEST_DIR  test data folder (default: /var/lib/wireguard4netns-test);
#                   the root is cached in $WG4NS_TEST_DIR/trixie
set -euo pipefail

TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
TRIXIE_DIR=$TEST_DIR/trixie
SUITE=trixie
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_UID=2000
# Far from the host's subordinate ids (useradd starts at 100000), so that
# no container process of the root shares a host uid with another user's.
LAB_SUBID=2000000
PACKAGES=(podman crun runc netavark passt uidmap nodejs iproute2 busybox-static
  wireguard-tools util-linux procps ca-certificates fuse-overlayfs conmon
  catatonit aardvark-dns containerd containernetworking-plugins rootlesskit slirp4netns iperf3)

step() { printf 'trixie: %s\n' "$*"; }
die() { printf 'trixie: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
mkdir -p "$TRIXIE_DIR"
chmod 0755 "$TEST_DIR" "$TRIXIE_DIR"

# One build at a time (two test runs may start together).
exec 9>"$TRIXIE_DIR/.lock"
flock 9

# ---------------------------------------------------------------- debootstrap
if ! command -v debootstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq debootstrap >/dev/null
  step "debootstrap installed"
else
  step "debootstrap present"
fi

# ---------------------------------------------------------------- mirror
# The archive apt uses for this Debian release (suite = the host's
# codename, so neither -security nor a third-party repository): deb822
# files first, then one-line sources.list files.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
mirror=$(
  {
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v want="$codename" '
      function found() { return uri != "" && (" " suites " ") ~ (" " want " ") && (" " types " ") ~ / deb / }
      /^[ \t]*$/ { if (found()) { print uri; done = 1; exit } uri = suites = types = ""; next }
      /^URIs:/ { uri = $2 } /^Suites:/ { $1 = ""; suites = $0 } /^Types:/ { $1 = ""; types = $0 }
      END { if (!done && found()) print uri }'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed 's/\[[^]]*\]//' | awk -v want="$codename" '
      $1 == "deb" && $3 == want { print $2 }'
  } | head -1 || true
)
[ -n "$mirror" ] || die "no $codename archive found in /etc/apt/sources.list.d/*.sources or sources.list"
# Host apt settings the root's apt needs too (proxies, Valid-Until on snapshots).
acquire_files=$(grep -l '^[^#]*Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null || true)
STAMP=$( { cat "${BASH_SOURCE[0]}"; echo "$mirror"; for f in $acquire_files; do cat "$f"; done; } | sha256sum | cut -c1-16)
step "mirror $mirror (stamp $STAMP)"

# ---------------------------------------------------------------- cached?
ROOT=$TRIXIE_DIR/root-$STAMP
# Older roots go, except one a session still runs in (a later run removes
# it): trixie-enter.sh holds a shared lock on the root's .w4n-stamp.
in_use() { [ -f "$1/.w4n-stamp" ] && ! flock -n -x "$1/.w4n-stamp" true; }
prune_old_roots() {
  local old
  for old in "$TRIXIE_DIR"/root-*; do
    [ -d "$old" ] && [ "$old" != "$ROOT" ] || continue
    if in_use "$old"; then step "kept $old: a session runs in it"; else rm -rf "$old"; fi
  done
}

if [ "$(readlink "$TRIXIE_DIR/root" 2>/dev/null)" = "root-$STAMP" ] && [ -f "$ROOT/.w4n-stamp" ]; then
  prune_old_roots
  step "root up to date at $TRIXIE_DIR/root ($(du -sh "$ROOT" 2>/dev/null | cut -f1))"
  exit 0
fi

# Leftovers of an interrupted build.
rm -rf "$TRIXIE_DIR"/build.*
BUILD=$(mktemp -d "$TRIXIE_DIR/build.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
R=$BUILD/root
started=$SECONDS

# Every mount of the build lives in a private mount namespace: an
# interrupted build leaves none behind.
in_build_ns() { unshare --mount --propagation private -- "$@"; }

# ---------------------------------------------------------------- root
in_build_ns debootstrap --variant=minbase "$SUITE" "$R" "$mirror" >"$BUILD/debootstrap.log" 2>&1 \
  || { tail -20 "$BUILD/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
step "debootstrap $SUITE minbase done ($((SECONDS - started)) s)"

printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
for f in $acquire_files; do cp "$f" "$R/etc/apt/apt.conf.d/"; done
in_build_ns bash -c '
  set -e
  R=$1; shift
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  mount --rbind /dev "$R/dev"
  export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
  chroot "$R" apt-get update -qq
  chroot "$R" apt-get install -y -qq --no-install-recommends "$@"
  chroot "$R" apt-get clean
' build "$R" "${PACKAGES[@]}" >"$BUILD/apt.log" 2>&1 \
  || { tail -20 "$BUILD/apt.log" >&2; die "apt-get in the root failed (log above)"; }
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin
step "packages installed: $(chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' podman crun runc netavark passt nodejs | tr '\n' ',' | sed 's/,$//; s/,/, /g') ($((SECONDS - started)) s)"

# ---------------------------------------------------------------- lab user
chroot "$R" useradd --create-home --uid "$LAB_UID" --shell /bin/bash lab
echo "lab:$LAB_SUBID:65536" >"$R/etc/subuid"
echo "lab:$LAB_SUBID:65536" >"$R/etc/subgid"
cat >"$R/usr/local/bin/as-lab" <<X
#!/bin/sh
# as-lab CMD...: run CMD as lab, as a login without a session would.
exec setpriv --reuid=$LAB_UID --regid=$LAB_UID --init-groups --reset-env -- env \\
  HOME=/home/lab USER=lab LOGNAME=lab XDG_RUNTIME_DIR=/run/user/$LAB_UID \\
  PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin PODMAN_IGNORE_CGROUPSV1_WARNING=1 "\$@"
X
chmod 0755 "$R/usr/local/bin/as-lab"
step "user lab uid=$LAB_UID subuid=$LAB_SUBID:65536 subgid=$LAB_SUBID:65536"

# ---------------------------------------------------------------- podman config
mkdir -p "$R/etc/containers"
cat >"$R/etc/containers/containers.conf" <<'X'
# Written by wireguard4netns test/env/trixie.sh
# No systemd here; the host may be a cgroup v1/v2 hybrid.
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
X
step "containers.conf written (cgroupfs, events_logger file, crun)"

# ---------------------------------------------------------------- rootfs
# As provision.sh's: owned by root, world-readable, empty files podman
# bind-mounts over, 1777 writable places.
RF=$R/srv/w4n-rootfs
mkdir -p "$RF"/{bin,etc,proc,sys,dev,run,tmp,var/tmp,root}
chmod 1777 "$RF/tmp" "$RF/var/tmp" "$RF/run"
chmod 0700 "$RF/root"
install -m 0755 "$R/usr/bin/busybox" "$RF/bin/busybox"
for a in $(chroot "$R" busybox --list); do
  [ "$a" = busybox ] || ln -s busybox "$RF/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$RF/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$RF/etc/group"
: >"$RF/etc/resolv.conf"; : >"$RF/etc/hosts"; : >"$RF/etc/hostname"
ln -s /proc/mounts "$RF/etc/mtab"
step "rootfs /srv/w4n-rootfs ($(ls "$RF/bin" | wc -l) applets)"

# The bench's: the same, plus iperf3 and the libraries it loads.
IRF=$R/srv/w4n-iperf-rootfs
cp -a "$RF" "$IRF"
cp "$R/usr/bin/iperf3" "$IRF/bin/iperf3"
# libgcc_s: glibc loads it when a thread is cancelled (iperf3 ends its threads so).
for lib in $(chroot "$R" ldd /usr/bin/iperf3 | grep -o '/[^ ]*') $(cd "$R" && ls -d usr/lib/*/libgcc_s.so.1 | sed "s|^|/|"); do
  mkdir -p "$IRF$(dirname "$lib")"
  cp -L "$R$lib" "$IRF$lib"
done
chroot "$IRF" /bin/iperf3 --version >/dev/null || die "iperf3 does not run in /srv/w4n-iperf-rootfs"
step "rootfs /srv/w4n-iperf-rootfs (busybox, iperf3)"

# Mount points for trixie-enter.sh, and for a test's tmpfs over the
# directory rootful configs must be in (the hook's read policy).
mkdir -p "$R/opt/w4n/dist" "$R/.oldroot" "$R/etc/wireguard4netns"
echo "$STAMP" >"$R/.w4n-stamp"

# ---------------------------------------------------------------- check
# Rootless podman must start a container in the new root before it is
# used: under runc, and under crun (the default) where the host lets it.
check() { TRIXIE_ROOT=$R W4N_DIST= "$HERE/trixie-enter.sh" --user lab \
  podman --runtime "$1" run --rm --network none --rootfs /srv/w4n-rootfs echo ok 2>&1; }
out=$(check runc) && [ "$out" = ok ] || die "rootless podman run (runc) in the new root failed: $out"
if out=$(check crun) && [ "$out" = ok ]; then
  step "check ok: rootless podman runs a container with runc and crun"
else
  step "check ok with runc; WARNING: crun cannot start a container here: $(printf '%s' "$out" | tail -1)"
fi

# ---------------------------------------------------------------- swap in
rm -rf "$ROOT"
mv "$R" "$ROOT"
ln -sfn "root-$STAMP" "$TRIXIE_DIR/root.link"
mv -T "$TRIXIE_DIR/root.link" "$TRIXIE_DIR/root"
prune_old_roots
step "root built at $TRIXIE_DIR/root -> root-$STAMP ($(du -sh "$ROOT" | cut -f1), $((SECONDS - started)) s)"
