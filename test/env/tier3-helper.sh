#!/bin/sh
# A stand-in for Sinfonia tier3's sinfonia_tier3.netns_helper, which runs
# inside "unshare --user --map-root-user --net --mount": it bind-mounts the
# resolv.conf, brings lo up, waits for the WireGuard interface, sets it up,
# adds the address and a default route, then execs the app.
#   tier3-helper.sh --resolvconf FILE --address CIDR IFACE APP...
set -eu
while [ $# -gt 0 ]; do
  case $1 in
    --resolvconf) resolv=$2; shift 2 ;;
    --address) address=$2; shift 2 ;;
    *) break ;;
  esac
done
iface=$1
shift
mount --bind "$resolv" /etc/resolv.conf
ip link set lo up
i=0
until ip link show "$iface" >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 1000 ] || { echo "tier3-helper: no $iface after 10 s" >&2; exit 1; }
  sleep 0.01
done
ip link set "$iface" up
ip address add "$address" dev "$iface"
ip route add default dev "$iface"
exec "$@"
