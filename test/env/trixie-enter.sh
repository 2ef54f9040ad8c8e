#!/usr/bin/env bash
# Run commands inside the trixie root that test/env/trixie.sh builds (as root).
#
#   trixie-enter.sh [--user lab] CMD...          a session of its own, for CMD
#   trixie-enter.sh --session                    a session that lasts until
#                                                stdin closes; prints
#                                                "ready PID" once set up
#   trixie-enter.sh --in PID [--user lab] CMD... CMD in session PID
#
# A session is a private mount and pid namespace entered with pivot_root
# (a plain chroot cannot create user namespaces: rootless podman fails).
# It shares the host's network, so a test peer on the host is reachable.
# /run, /tmp, /var/tmp and lab's home are tmpfs of the session: podman's
# state, lab's containers, our hook's state and every file a test writes
# end with it, and the cached root stays as built. The checkout's dist/
# (W4N_DIST; empty: none) is bound read-only at /opt/w4n/dist, so the hook
# JSON that `node /opt/w4n/dist/wireguard4netns install` writes holds paths
# valid inside. Everything started inside (podman's pause process, conmon,
# tunnel daemons) is killed when the session ends, also when this script
# is killed (--kill-child).
#
# Environment: WG4NS_TEST_DIR (as trixie.sh), TRIXIE_ROOT (default: the
# cached root), W4N_DIST (default: this checkout's dist/).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LAB_UID=2000
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { printf 'trixie-enter: %s\n' "$*" >&2; exit 125; }
[ "$(id -u)" = 0 ] || die "must run as root"

session=0 in_pid='' user=root
while [ $# -gt 0 ]; do
  case $1 in
    --session) session=1; shift ;;
    --in) in_pid=${2:?}; shift 2 ;;
    --user) user=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
case $user in root) as=() ;; lab) as=(/usr/local/bin/as-lab) ;; *) die "--user: root or lab, not $user" ;; esac

# ---------------------------------------------------------------- into a session
if [ -n "$in_pid" ]; then
  [ $# -gt 0 ] || die "--in PID needs a command"
  exec nsenter --target "$in_pid" --mount --pid --root --wd -- env -i PATH=$PATH_IN TERM=dumb "${as[@]}" "$@"
fi

# ---------------------------------------------------------------- a new session
R=$(readlink -f "${TRIXIE_ROOT:-${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}/trixie/root}")
[ -f "$R/.w4n-stamp" ] || die "no trixie root at $R: run test/env/trixie.sh first"
DIST=${W4N_DIST-$HERE/../../dist}
if [ -n "$DIST" ]; then
  [ -d "$DIST" ] || die "no dist/ at $DIST: build first (npm run build)"
  DIST=$(readlink -f "$DIST")
fi
if [ $session = 1 ]; then
  [ $# = 0 ] || die "--session takes no command"
  set -- /bin/sh -c 'echo "ready $W4N_SESSION_PID"; exec cat >/dev/null'
  as=()
fi
[ $# -gt 0 ] || set -- /bin/bash -l

# A shared lock for the session's life: trixie.sh removes no root in use.
exec 8<"$R/.w4n-stamp"
flock -s 8
exec unshare --mount --propagation private --pid --fork --kill-child -- /bin/bash -c '
  set -e
  R=$1 DIST=$2 LAB_UID=$3 PATH_IN=$4; shift 4
  # The host pid of this shell (pid 1 of the session): /proc is still the host one.
  read -r W4N_SESSION_PID _ </proc/self/stat
  mount --bind "$R" "$R"
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
  mount --rbind /dev "$R/dev"
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run"
  mkdir -p "$R/run/user/$LAB_UID" "$R/run/lock"
  chown "$LAB_UID:$LAB_UID" "$R/run/user/$LAB_UID"
  chmod 0700 "$R/run/user/$LAB_UID"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/var/tmp"
  mount -t tmpfs -o "mode=0700,uid=$LAB_UID,gid=$LAB_UID,nosuid,nodev" tmpfs "$R/home/lab"
  if [ -n "$DIST" ]; then
    mount --bind "$DIST" "$R/opt/w4n/dist"
    mount -o remount,bind,ro "$R/opt/w4n/dist"
  fi
  cd "$R"
  pivot_root . .oldroot
  umount -l /.oldroot
  cd /
  mount --make-rshared /
  export W4N_SESSION_PID
  rc=0
  env -i PATH="$PATH_IN" TERM=dumb W4N_SESSION_PID="$W4N_SESSION_PID" "$@" 8<&- || rc=$?
  # Leftovers (the pause process, conmon, daemons) get a TERM, then the
  # end of pid 1 kills whatever is left.
  kill -TERM -1 2>/dev/null || true
  exit $rc
' enter "$R" "$DIST" "$LAB_UID" "$PATH_IN" "${as[@]}" "$@"
