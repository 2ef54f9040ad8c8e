#!/usr/bin/env bash
# Provision a Debian 12 machine for wireguard4netns tests (run as root).
# Idempotent: safe to run again; prints one line per step.
#
# On a cgroup v1/v2 hybrid host (a v2 hierarchy at /sys/fs/cgroup/unified
# that holds controllers), crun refuses every container ("cgroups in hybrid
# mode not supported"): this moves those controllers (hugetlb, on the
# machines measured) to v1 mounts, which crun accepts. Not persistent (a
# reboot undoes it), and "umount /sys/fs/cgroup/CONTROLLER" undoes it once
# that hierarchy has no cgroup left. A pure v1 or v2 host is not touched.
# The podman tests run under runc and crun, so both must start a container.
#
# Environment overrides:
#   WG4NS_TEST_USER   unprivileged test user        (default: wg4ns)
#   WG4NS_TEST_DIR    rootfs / tarball location     (default: /var/lib/wireguard4netns-test)
#   WG4NS_TEST_IMAGE  image name for podman import  (default: localhost/wg4ns-busybox)
set -euo pipefail

TEST_USER=${WG4NS_TEST_USER:-wg4ns}
TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
IMAGE=${WG4NS_TEST_IMAGE:-localhost/wg4ns-busybox}
ROOTFS=$TEST_DIR/rootfs
TARBALL=$TEST_DIR/rootfs.tar
# Bump when the rootfs layout below changes, to force a rebuild.
ROOTFS_LAYOUT=5

PACKAGES=(podman runc crun uidmap slirp4netns passt wireguard-go wireguard-tools
  busybox-static iperf3 iproute2 fuse-overlayfs catatonit conmon util-linux procps
  containernetworking-plugins python3 man-db)

step() { printf 'provision: %s\n' "$*"; }
die() { printf 'provision: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages
. "$(cd "$(dirname "$0")" && pwd)/packages.sh"
install_missing "${PACKAGES[@]}"

# ---------------------------------------------------------------- device nodes
# Without udev (containers, minimal VMs) /dev/net/tun and /dev/fuse can be
# root-only (0600). Regular Debian (udev/systemd static nodes) makes them 0666;
# rootless podman needs that: slirp4netns/pasta and our hook open /dev/net/tun
# as uid 0 of a user namespace, which gets no DAC override on root's files.
[ -e /dev/net/tun ] || { mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; }
[ -e /dev/fuse ] || mknod -m 0666 /dev/fuse c 10 229 2>/dev/null || true
for dev in /dev/net/tun /dev/fuse; do
  [ -e "$dev" ] && [ "$(stat -c %a "$dev")" != 666 ] && chmod 0666 "$dev"
done
step "device nodes: $(stat -c '%n %a' /dev/net/tun) ; $(stat -c '%n %a' /dev/fuse 2>/dev/null || echo '/dev/fuse absent')"

# ---------------------------------------------------------------- user
if ! getent passwd "$TEST_USER" >/dev/null; then
  useradd --create-home --home-dir "/home/$TEST_USER" --shell /bin/bash "$TEST_USER"
fi
TEST_UID=$(id -u "$TEST_USER")
TEST_GID=$(id -g "$TEST_USER")
TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)

# subordinate ids: keep an existing range (useradd adds one from login.defs),
# otherwise add the first free 65536 block at or above 200000.
free_subid_start() { # $1 = /etc/subuid or /etc/subgid
  local start=200000 s c
  while read -r s c; do
    if [ $((start + 65536)) -gt "$s" ] && [ "$start" -lt $((s + c)) ]; then
      start=$(( (s + c + 65535) / 65536 * 65536 ))
    fi
  done < <(awk -F: 'NF==3 {print $2, $3}' "$1" | sort -n)
  echo "$start"
}
touch /etc/subuid /etc/subgid
subids_added=0
if ! awk -F: -v u="$TEST_USER" -v id="$TEST_UID" '($1==u||$1==id) && $3>=65536 {f=1} END {exit !f}' /etc/subuid; then
  s=$(free_subid_start /etc/subuid); usermod --add-subuids "$s-$((s + 65535))" "$TEST_USER"
  subids_added=1
fi
if ! awk -F: -v u="$TEST_USER" -v id="$TEST_GID" '($1==u||$1==id) && $3>=65536 {f=1} END {exit !f}' /etc/subgid; then
  s=$(free_subid_start /etc/subgid); usermod --add-subgids "$s-$((s + 65535))" "$TEST_USER"
  subids_added=1
fi
step "user $TEST_USER uid=$TEST_UID subuid=$(grep "^$TEST_USER:" /etc/subuid | head -1 | cut -d: -f2-) subgid=$(grep "^$TEST_USER:" /etc/subgid | head -1 | cut -d: -f2-)"

# ---------------------------------------------------------------- runtime dir
# No logind here: create what pam_systemd would. /run is a tmpfs, so this
# must be redone after a reboot (running this script again does it).
RUNDIR=/run/user/$TEST_UID
mkdir -p /run/user
chmod 0755 /run/user
[ -d "$RUNDIR" ] || mkdir "$RUNDIR"
chown "$TEST_UID:$TEST_GID" "$RUNDIR"
chmod 0700 "$RUNDIR"
step "runtime dir $RUNDIR"

# ---------------------------------------------------------------- podman config
as_user() { # run a command as the test user, without a login session
  (cd / && runuser -u "$TEST_USER" -- env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
    XDG_RUNTIME_DIR="$RUNDIR" "$@")
}
write_if_changed() { # $1 = path, stdin = content; owned by the test user
  local tmp; tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  install -D -o "$TEST_UID" -g "$TEST_GID" -m 0644 "$tmp" "$1"; rm -f "$tmp"
}
CONF_DIR=$TEST_HOME/.config/containers
install -d -o "$TEST_UID" -g "$TEST_GID" -m 0755 "$TEST_HOME/.config" "$CONF_DIR"

write_if_changed "$CONF_DIR/containers.conf" <<'CONF' || true
# Written by wireguard4netns test/env/provision.sh
[containers]
# cgroup v1/v2 hybrid host, no systemd user session: rootless podman cannot
# limit anything here. (cgroups = "disabled" would be cleaner but podman
# refuses it with runc: "not compatible with NoCgroups".)
# No session keyring per container: each counts against the user's kernel
# key quota (kernel.keys.maxbytes, 20000 bytes: about 100 keyrings), and
# the bench runs 100 containers of the user at once.
keyring = false

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

# storage: native rootless overlay (needs a kernel that lets a user namespace
# mount overlayfs, >= 5.11), else vfs. Probe it once as the user; keep an
# existing choice (changing the driver needs `podman system reset`).
STORAGE_CONF=$CONF_DIR/storage.conf
if ! grep -qs '^driver *= *"\(overlay\|vfs\)"' "$STORAGE_CONF"; then
  probe=$(as_user mktemp -d /tmp/wg4ns-overlay-probe.XXXXXX)
  if as_user unshare --user --map-root-user --mount sh -c '
      cd "$1" && mkdir l u w m && echo x >l/f &&
      mount -t overlay overlay -o lowerdir=l,upperdir=u,workdir=w,userxattr m &&
      echo y >m/f && umount m' sh "$probe" >/dev/null 2>&1; then
    driver=overlay
  else
    driver=vfs
  fi
  rm -rf "$probe"
  [ -d "$TEST_HOME/.local/share/containers/storage" ] && as_user podman system reset --force >/dev/null 2>&1 || true
  printf '# Written by wireguard4netns test/env/provision.sh\n[storage]\ndriver = "%s"\n' "$driver" \
    | write_if_changed "$STORAGE_CONF" || true
fi
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
  # crun 1.8 refuses hybrid hosts while the v2 hierarchy has controllers
  # ("cgroups in hybrid mode not supported, drop all controllers from
  # cgroupv2"). A controller unused in v2 can be re-bound to a v1 mount.
  moved=
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mkdir -p "/sys/fs/cgroup/$c"
    mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || die "could not move cgroup controller $c from v2 to a v1 mount, which crun needs on this hybrid host"
    moved="$moved $c"
  done
  step "cgroup v1/v2 hybrid host: moved the v2 controllers$moved to v1 mounts, for crun (undo: umount /sys/fs/cgroup/{${moved# }} once unused, or reboot)"
fi
# A running pause process keeps the old id mapping until `podman system migrate`.
[ "$subids_added" = 0 ] || as_user podman system migrate >/dev/null 2>&1 || true
DRIVER=$(as_user podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null || echo none)
step "podman config written (runtime runc, storage driver $DRIVER)"

# ---------------------------------------------------------------- rootfs
# A busybox-static rootfs for `podman run --rootfs DIR` (and, as a tarball,
# for `podman import`). Owned by root, world-readable: inside a rootless
# container its files show up as nobody:nogroup and are read-only to the
# container, so tests cannot change it (use DIR:O for a private overlay).
# Writable places (/tmp, /var/tmp, /run) are 1777 dirs. podman bind-mounts
# /etc/hosts, /etc/hostname and /run/.containerenv over the empty files made
# here, and /etc/resolv.conf too, but NOT with --network none.
BUSYBOX=/bin/busybox
STAMP="layout=$ROOTFS_LAYOUT busybox=$(sha256sum "$BUSYBOX" | cut -c1-16) iperf3=$(dpkg-query -W -f='${Version}' iperf3)"
if [ "$(cat "$TEST_DIR/rootfs.stamp" 2>/dev/null)" != "$STAMP" ] || [ ! -x "$ROOTFS/bin/busybox" ]; then
  mkdir -p "$TEST_DIR"
  chmod 0755 "$TEST_DIR"
  NEW=$TEST_DIR/rootfs.new
  rm -rf "$NEW"
  mkdir -p "$NEW"
  (
    cd "$NEW"
    mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev run tmp var/tmp root home www lib64 lib/x86_64-linux-gnu
    chmod 1777 tmp var/tmp run
    chmod 0700 root
    install -m 0755 "$BUSYBOX" bin/busybox
    for a in $("$BUSYBOX" --list); do
      [ "$a" = busybox ] || ln -s busybox "bin/$a"
    done
    # iperf3 (dynamically linked): binary + the libraries ldd reports.
    install -m 0755 /usr/bin/iperf3 usr/bin/iperf3
    for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do
      install -D -m 0755 "$(readlink -f "$lib")" ".$lib"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >etc/passwd
    printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
    : >etc/resolv.conf; : >etc/hosts; : >etc/hostname
    ln -s /proc/mounts etc/mtab   # podman creates it otherwise (fails: permission denied)
    printf 'wireguard4netns-test-page\n' >www/index.html
  )
  rm -rf "$ROOTFS.old"
  [ -e "$ROOTFS" ] && mv "$ROOTFS" "$ROOTFS.old"
  mv "$NEW" "$ROOTFS"
  rm -rf "$ROOTFS.old"
  # Reproducible tarball (same content -> same bytes -> same hash).
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$ROOTFS" -cf "$TARBALL.tmp" .
  chmod 0644 "$TARBALL.tmp"
  mv "$TARBALL.tmp" "$TARBALL"
  echo "$STAMP" >"$TEST_DIR/rootfs.stamp"
  step "rootfs built at $ROOTFS ($("$BUSYBOX" --list | wc -l) applets + iperf3)"
else
  step "rootfs up to date at $ROOTFS"
fi

# ---------------------------------------------------------------- image
# The label records what the image was made from (tarball + import options).
IMPORT_OPTS=(--change 'CMD ["/bin/sh"]'
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
TAR_HASH=$( { sha256sum <"$TARBALL"; printf '%s\n' "${IMPORT_OPTS[@]}"; } | sha256sum | cut -c1-32)
have_hash=$(as_user podman image inspect --format '{{index .Labels "wg4ns.rootfs"}}' "$IMAGE" 2>/dev/null || true)
if [ "$have_hash" != "$TAR_HASH" ]; then
  as_user podman import --quiet "${IMPORT_OPTS[@]}" --change "LABEL wg4ns.rootfs=$TAR_HASH" \
    "$TARBALL" "$IMAGE" >/dev/null
  as_user podman image prune --force >/dev/null 2>&1 || true
  step "image $IMAGE imported"
else
  step "image $IMAGE up to date"
fi

# ---------------------------------------------------------------- smoke test
out=$(as_user podman run --rm --network none --rootfs "$ROOTFS" /bin/sh -c 'ip addr show lo | grep -c "inet 127.0.0.1"' 2>&1) \
  || die "rootless podman run failed: $out"
[ "$out" = 1 ] || die "unexpected smoke test output: $out"
# The podman tests run their cases under both runtimes: each must start a container.
for runtime in runc crun; do
  out=$(as_user podman --runtime "$runtime" run --rm --network none --rootfs "$ROOTFS" /bin/true 2>&1) ||
    die "rootless podman run with $runtime failed: $(printf '%s' "$out" | tail -1)"
done
step "smoke test ok: rootless podman run works with runc and crun"
