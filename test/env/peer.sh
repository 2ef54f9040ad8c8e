#!/usr/bin/env bash
# A WireGuard test peer in its own network namespace (run as root).
#
#   peer.sh up   NAME PRIVKEY_FILE CLIENT_PUBKEY [INDEX]
#   peer.sh down NAME
#   peer.sh exec NAME CMD...     run CMD in the peer's netns, where `wg`
#                                reaches the peer's wireguard-go (wgp)
#   peer.sh info NAME [INDEX]    print the peer's variables (shell format)
#
# `up` (re)creates netns NAME with:
#   - veth NAME-h (host netns) <-> veth0 (peer netns); INDEX (0..4095,
#     default 0) picks the /30 198.18.0.0/15 + 4*INDEX: host .1, peer .2
#     (INDEX 0: 198.18.0.1/30 <-> 198.18.0.2/30), and the /64
#     fd5a:7b1e:c0de:<1000+INDEX hex>::/64: host ::1, peer ::2.
#   - Debian's userspace wireguard-go (or $WG4NS_PEER_WIREGUARD_GO, below)
#     on wgp, listen-port 51820, one peer
#     CLIENT_PUBKEY with allowed-ips 198.51.100.2/32,fd5a:7b1e:c0de::2/128;
#     wgp has 198.51.100.1/24 and fd5a:7b1e:c0de::1/64. Other tunnel
#     networks: WG4NS_PEER_TUN4=10.8.0 WG4NS_PEER_TUN6=fd42:8: (the /24's
#     first three parts, the /64's first four and a colon; for `up` and
#     `info`), as a manifest of the docs has them.
#   - busybox httpd on [::]:8080 (dual stack: also 0.0.0.0:8080) serving a
#     page whose body is "$PEER_PAGE" (see below).
#   The peer netns has no default route: nothing in it can reach beyond
#   this machine. No endpoint is set for the client: the peer learns it
#   from the first handshake.
# `down` kills every process in netns NAME, deletes the netns (and with it
# the veth pair) and the peer's state dir. Both are idempotent.
#
# wireguard-go and wg talk over /run/wireguard/wgp.sock, which would be one
# file for all peers (and for any other wireguard-go on the host). So each
# peer's wireguard-go runs in a private mount namespace where
# /run/wireguard is a bind mount of /run/wg4ns-peer/NAME; `peer.sh exec`
# sets up the same view for wg.
#
# WG4NS_PEER_WIREGUARD_GO=PATH (for `up`) runs that wireguard-go instead of
# Debian's, e.g. this project's dist/wireguard-go (the benchmark's peer, so
# that the peer is not the bottleneck). Both keep their socket in
# /run/wireguard, upstream's default.
set -euo pipefail

STATE_ROOT=/run/wg4ns-peer
LISTEN_PORT=51820
WIREGUARD_GO=${WG4NS_PEER_WIREGUARD_GO:-wireguard-go}
PEER_PAGE="wireguard4netns test peer says hello"

die() { printf 'peer.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "must run as root"

check_name() {
  [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_.]{0,12}$ ]] \
    || die "bad NAME '$1' (1-13 chars of [A-Za-z0-9_.]; the host veth is NAME-h)"
}

# Variables of peer NAME with index $2, printed as shell assignments.
info() {
  local name=$1 idx=${2:-0}
  [[ $idx =~ ^[0-9]+$ ]] && [ "$idx" -le 4095 ] || die "bad INDEX '$idx' (0..4095)"
  local n=$((4 * idx))
  local a=$((18 + n / 65536)) b=$(( (n / 256) % 256 )) c=$((n % 256))
  local v6net
  v6net=$(printf 'fd5a:7b1e:c0de:%x' $((0x1000 + idx)))
  local tun4=${WG4NS_PEER_TUN4:-198.51.100} tun6=${WG4NS_PEER_TUN6:-fd5a:7b1e:c0de:}
  [[ $tun4 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad WG4NS_PEER_TUN4 '$tun4' (e.g. 10.8.0)"
  [[ $tun6 =~ ^[0-9a-f:]+:$ ]] || die "bad WG4NS_PEER_TUN6 '$tun6' (e.g. fd42:8:)"
  printf '%s\n' \
    "PEER_NAME=$name" \
    "PEER_INDEX=$idx" \
    "PEER_HOST_IF=$name-h" \
    "PEER_HOST_V4=198.$a.$b.$((c + 1))" \
    "PEER_NS_V4=198.$a.$b.$((c + 2))" \
    "PEER_HOST_V6=$v6net::1" \
    "PEER_NS_V6=$v6net::2" \
    "PEER_PORT=$LISTEN_PORT" \
    "PEER_ENDPOINT=198.$a.$b.$((c + 2)):$LISTEN_PORT" \
    "PEER_ENDPOINT6=[$v6net::2]:$LISTEN_PORT" \
    "PEER_TUN_V4=$tun4.1" \
    "PEER_TUN_V6=$tun6:1" \
    "CLIENT_TUN_V4=$tun4.2" \
    "CLIENT_TUN_V6=$tun6:2" \
    "PEER_HTTP_PORT=8080" \
    "PEER_PAGE='$PEER_PAGE'" \
    "PEER_STATE=$STATE_ROOT/$name"
}

# Run "$@" in netns NAME with /run/wireguard -> the peer's socket dir.
# The mount point is made again first: another user's `down` removes it
# when it is empty, and test runs under other users share this host.
in_peer() {
  local name=$1; shift
  ip netns exec "$name" unshare --mount --propagation private \
    sh -c 'mkdir -p /run/wireguard && mount --bind "$1" /run/wireguard && shift && exec "$@"' \
    sh "$STATE_ROOT/$name/wireguard" "$@"
}

down() {
  local name=$1 pids i
  if [ -e "/run/netns/$name" ]; then
    for i in 1 2 3 4 5 6 7 8 9 10; do
      pids=$(ip netns pids "$name" 2>/dev/null || true)
      [ -n "$pids" ] || break
      # shellcheck disable=SC2086
      if [ "$i" -lt 8 ]; then kill $pids 2>/dev/null || true; else kill -9 $pids 2>/dev/null || true; fi
      sleep 0.2
    done
    pids=$(ip netns pids "$name" 2>/dev/null || true)
    [ -z "$pids" ] || die "processes still in netns $name: $pids"
    ip netns del "$name"
  fi
  # The veth goes with the netns, asynchronously: it may vanish between a
  # check and a delete. This only matters after a half-done `up`.
  ip link del dev "$name-h" 2>/dev/null || true
  rm -rf "${STATE_ROOT:?}/$name"
  rmdir "$STATE_ROOT" 2>/dev/null || true
  rmdir /run/wireguard 2>/dev/null || true   # only if empty (we may have made it)
}

up() {
  local name=$1 keyfile=$2 client_pub=$3 idx=${4:-0}
  [ -r "$keyfile" ] || die "cannot read private key file $keyfile"
  [[ $client_pub =~ ^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$ ]] || die "bad client public key '$client_pub'"
  local vars
  vars=$(info "$name" "$idx")
  eval "$vars"
  for cmd in "$WIREGUARD_GO" wg busybox ip unshare; do
    command -v "$cmd" >/dev/null || die "$cmd not found (run test/env/provision.sh)"
  done
  # Refuse to shadow an address that is already on this host, unless it is
  # ours from an earlier `up` of the same NAME (removed by down below).
  down "$name"
  if ip -o addr show | grep -qw "inet $PEER_HOST_V4"; then
    die "$PEER_HOST_V4 already in use on this host (another INDEX?)"
  fi

  local st=$PEER_STATE
  mkdir -p "$st/wireguard" "$st/www"
  chmod 0700 "$st/wireguard"
  printf '%s\n' "$PEER_PAGE" >"$st/www/index.html"
  printf '%s\n' "$vars" >"$st/info"
  mkdir -p /run/wireguard            # mount point for in_peer's bind mount

  ip netns add "$name"
  ip link add "$PEER_HOST_IF" type veth peer name veth0 netns "$name"
  ip addr add "$PEER_HOST_V4/30" dev "$PEER_HOST_IF"
  ip addr add "$PEER_HOST_V6/64" dev "$PEER_HOST_IF" nodad
  ip link set "$PEER_HOST_IF" up
  ip -n "$name" link set lo up
  ip -n "$name" addr add "$PEER_NS_V4/30" dev veth0
  ip -n "$name" addr add "$PEER_NS_V6/64" dev veth0 nodad
  ip -n "$name" link set veth0 up

  # wireguard-go daemonizes; its log goes to the state dir.
  in_peer "$name" env LOG_LEVEL=verbose "$WIREGUARD_GO" wgp </dev/null >"$st/wireguard-go.log" 2>&1 \
    || { cat "$st/wireguard-go.log" >&2; die "wireguard-go failed"; }
  local i
  for i in $(seq 50); do [ -S "$st/wireguard/wgp.sock" ] && break; sleep 0.1; done
  [ -S "$st/wireguard/wgp.sock" ] || die "wireguard-go did not create its socket"
  in_peer "$name" wg set wgp private-key "$keyfile" listen-port "$LISTEN_PORT" \
    peer "$client_pub" allowed-ips "$CLIENT_TUN_V4/32,$CLIENT_TUN_V6/128"
  ip -n "$name" addr add "$PEER_TUN_V4/24" dev wgp
  ip -n "$name" addr add "$PEER_TUN_V6/64" dev wgp nodad
  ip -n "$name" link set wgp up

  # Backend: busybox httpd daemonizes itself; [::]:8080 also takes IPv4.
  # Its stdio goes to a file: a daemon holding our stdout would block a
  # caller that reads it, e.g. $(peer.sh up ...).
  ip netns exec "$name" busybox httpd -p '[::]:8080' -h "$st/www" </dev/null >>"$st/httpd.log" 2>&1
  for i in $(seq 50); do
    ip netns exec "$name" timeout 2 busybox wget -q -O /dev/null http://127.0.0.1:8080/ 2>/dev/null && break
    sleep 0.1
  done
  ip netns exec "$name" timeout 2 busybox wget -q -O /dev/null 'http://[::1]:8080/' \
    || die "httpd in $name does not answer"

  local pub
  pub=$(wg pubkey <"$keyfile")
  echo "PEER_PUBKEY=$pub" >>"$st/info"
  echo "peer $name up: endpoint $PEER_ENDPOINT (or $PEER_ENDPOINT6), pubkey $pub"
}

case "${1:-}" in
  up)
    [ $# -ge 4 ] && [ $# -le 5 ] || usage
    check_name "$2"; up "$2" "$3" "$4" "${5:-0}" ;;
  down)
    [ $# -eq 2 ] || usage
    check_name "$2"; down "$2" ;;
  exec)
    [ $# -ge 3 ] || usage
    check_name "$2"; [ -e "/run/netns/$2" ] || die "no peer $2"
    name=$2; shift 2; in_peer "$name" "$@" ;;
  info)
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    check_name "$2"
    if [ $# -eq 2 ] && [ -f "$STATE_ROOT/$2/info" ]; then cat "$STATE_ROOT/$2/info"; else info "$2" "${3:-0}"; fi ;;
  *) usage ;;
esac
