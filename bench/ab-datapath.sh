#!/usr/bin/env bash
# A/B of wireguard-go's datapath under different runtime settings: the
# client side's CPU per GB, alternated round by round. Two network
# namespaces of its own (w4nab-c, w4nab-p) joined by one veth, our
# wireguard-go (upstream's foreground mode, -f) at both ends, iperf3 from
# the client through the tunnel to a server behind the peer. Run as root.
#
#   bench/ab-datapath.sh ROUNDS SECONDS 'ENV A' 'ENV B' ...
#   e.g. bench/ab-datapath.sh 3 10 'GOMAXPROCS=2' 'GOMAXPROCS=1'
#
# Each ENV is put before the client's wireguard-go (`env ENV ...`); use
# X=1 for "as it is". PERF=1 also records `perf record -g` of the client
# into perf.ROUND.data. WG=PATH picks the binary (default: dist/wireguard-go).
# Addresses: 198.18.255.0/30 on the veth, 10.77.0.0/24 in the tunnel, both
# only inside these namespaces, which it removes when it ends.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
WG=${WG:-$root/dist/wireguard-go}
[ $# -ge 3 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
rounds=$1 seconds=$2
shift 2
C=w4nab-c P=w4nab-p run=/run/w4nab
cleanup() {
  for n in $C $P; do
    for p in $(ip netns pids $n 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del $n 2>/dev/null || true
  done
  rm -rf $run
}
cleanup
trap cleanup EXIT
mkdir -p $run/c $run/p /run/wireguard
for n in $C $P; do ip netns add $n && ip -n $n link set lo up; done
ip -n $C link add veth0 type veth peer name veth1 netns $P
ip -n $C addr add 198.18.255.1/30 dev veth0 && ip -n $C link set veth0 up
ip -n $P addr add 198.18.255.2/30 dev veth1 && ip -n $P link set veth1 up
(umask 077 && wg genkey >$run/ck && wg genkey >$run/pk)
# Each wireguard-go keeps its UAPI socket in its own /run/wireguard.
inview() { local ns=$1 dir=$2; shift 2; ip netns exec "$ns" unshare --mount --propagation private sh -c 'mount --bind "$0" /run/wireguard && exec "$@"' "$dir" "$@"; }
inview $P $run/p setsid "$WG" -f wgp >/dev/null 2>&1 &
for _ in $(seq 50); do [ -S $run/p/wgp.sock ] && break; sleep 0.1; done
inview $P $run/p wg set wgp private-key $run/pk listen-port 51820 peer "$(wg pubkey <$run/ck)" allowed-ips 10.77.0.1/32
ip -n $P addr add 10.77.0.2/24 dev wgp && ip -n $P link set wgp up
ip netns exec $P sh -c 'while :; do iperf3 -s -1 >/dev/null 2>&1; done' &

client() { # ENV: starts the client; sets pid
  inview $C $run/c env $1 setsid "$WG" -f wgc >/dev/null 2>&1 &
  for _ in $(seq 50); do [ -S $run/c/wgc.sock ] && break; sleep 0.1; done
  inview $C $run/c wg set wgc private-key $run/ck peer "$(wg pubkey <$run/pk)" endpoint 198.18.255.2:51820 allowed-ips 10.77.0.0/24
  ip -n $C addr add 10.77.0.1/32 dev wgc && ip -n $C link set wgc up && ip -n $C route add 10.77.0.0/24 dev wgc
  pid=$(pgrep -n -f -- "$WG -f wgc\$")
}
ticks() { local s; s=$(cat /proc/$1/stat); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
for r in $(seq "$rounds"); do
  for e in "$@"; do
    client "$e"
    ip netns exec $C busybox ping -c1 -W5 10.77.0.2 >/dev/null
    pp=
    if [ -n "${PERF:-}" ]; then perf record -q -F 499 -g -p "$pid" -o "perf.$r.data" -- sleep $((seconds - 1)) >/dev/null 2>&1 & pp=$!; fi
    c0=$(ticks "$pid")
    out=$(ip netns exec $C setsid -w iperf3 -c 10.77.0.2 -t "$seconds" -J)
    c1=$(ticks "$pid")
    [ -z "$pp" ] || wait "$pp"
    bytes=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bytes"])')
    python3 -c "print('round $r [$e]: %.2f Gbit/s, client %.2f s/GB' % ($bytes*8/$seconds/1e9, ($c1-$c0)/100/($bytes/1e9)))"
    kill "$pid"; for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f $run/c/wgc.sock
  done
done
