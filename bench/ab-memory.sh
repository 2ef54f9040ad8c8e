#!/usr/bin/env bash
# A/B of an idle daemon's private memory, alternated tunnel by tunnel. For
# each round and each wireguard-go binary given, one tunnel brought up by
# the command line (`wireguard4netns up`, WIREGUARD4NETNS_WIREGUARD_GO set
# to the binary) into an `unshare -rn` namespace of the user AS, which then
# fetches a page through it; WAIT seconds (default 20) after the last, each
# daemon's Private_Dirty (/proc/PID/smaps_rollup: what it alone holds),
# and the mean for each binary.
#
#   AS=USER bench/ab-memory.sh ROUNDS BINARY...
#   e.g. AS=wg4ns bench/ab-memory.sh 5 /tmp/wireguard-go.before dist/wireguard-go
#
# The peer: Debian's wireguard-go in a network namespace of its own
# (w4nam-p), joined to the host by a veth (198.18.254.0/30), with a busybox
# httpd at 10.78.0.1 in it; tunnel I has 10.78.1.I. Run as root, from a
# built checkout; it removes all of it when it ends.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] && [ -n "${AS:-}" ] || { sed -n '2,16p' "$0" >&2; exit 2; }
rounds=$1
shift
P=w4nam-p H=w4nam-h run=/run/w4nam
tmp=
cleanup() {
  pkill -u "$AS" -f '^sleep 86400$' 2>/dev/null || true
  for p in $(ip netns pids $P 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns del $P 2>/dev/null || true
  ip link del $H 2>/dev/null || true
  rm -rf "$run" ${tmp:+"$tmp"}
}
cleanup
trap cleanup EXIT
tmp=$(mktemp -d)
chmod 711 "$tmp"
mkdir -p "$run" /run/wireguard "$tmp/pids" "$tmp/www"
chown "$AS" "$tmp/pids"
echo page >"$tmp/www/index.html"
(umask 077 && wg genkey >"$tmp/pk")
ip netns add $P && ip -n $P link set lo up
ip link add $H type veth peer name veth1 netns $P
ip addr add 198.18.254.1/30 dev $H && ip link set $H up
ip -n $P addr add 198.18.254.2/30 dev veth1 && ip -n $P link set veth1 up
# The peer keeps its UAPI socket in a /run/wireguard of its own.
peer() { ip netns exec $P unshare --mount --propagation private sh -c 'mount --bind "$0" /run/wireguard && exec "$@"' "$run" "$@"; }
peer setsid wireguard-go wgp >/dev/null 2>&1
for _ in $(seq 50); do [ -S $run/wgp.sock ] && break; sleep 0.1; done
peer wg set wgp private-key "$tmp/pk" listen-port 51820
ip -n $P addr add 10.78.0.1/16 dev wgp && ip -n $P link set wgp up
ip netns exec $P busybox httpd -p 10.78.0.1:80 -h "$tmp/www"
peerpub=$(wg pubkey <"$tmp/pk")

i=0
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    i=$((i + 1))
    key=$(wg genkey)
    peer wg set wgp peer "$(echo "$key" | wg pubkey)" allowed-ips "10.78.1.$i/32"
    conf=$tmp/c$i.conf
    (umask 077 && printf '[Interface]\nPrivateKey = %s\nAddress = 10.78.1.%s/32\n[Peer]\nPublicKey = %s\nEndpoint = 198.18.254.2:51820\nAllowedIPs = 10.78.0.0/16\n' \
      "$key" "$i" "$peerpub" >"$conf")
    chown "$AS" "$conf"
    su "$AS" -s /bin/sh -c "cd / && setsid unshare -rn sh -c 'echo \$\$ >$tmp/pids/$i && exec sleep 86400' </dev/null >/dev/null 2>&1 &"
    for _ in $(seq 50); do [ -s "$tmp/pids/$i" ] && break; sleep 0.1; done
    ns=$(cat "$tmp/pids/$i")
    su "$AS" -s /bin/sh -c "WIREGUARD4NETNS_WIREGUARD_GO=$(realpath "$bin") $root/dist/wireguard4netns up $ns $conf" >/dev/null
    nsenter -t "$ns" -U -n --preserve-credentials busybox wget -q -O /dev/null http://10.78.0.1/
  done
done
sleep "${WAIT:-20}"
for p in $(pgrep -u "$AS" -f 'wireguard4netns -netns'); do
  printf '%s %s\n' "$(tr '\0' ' ' </proc/"$p"/cmdline | cut -d' ' -f1)" "$(awk '/^Private_Dirty/{print $2}' /proc/"$p"/smaps_rollup)"
done | sort | awk '{print $1 ": " $2 " KiB"; s[$1] += $2; n[$1]++} END {for (k in s) printf "mean %s: %.0f KiB (%d daemons)\n", k, s[k] / n[k], n[k]}'
