#!/usr/bin/env bash
# The main job, end to end, on this machine (run as root: it makes the peer's
# namespace): a rootless container of the unprivileged test user reaches a
# backend through a WireGuard tunnel to a local, independent peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
USER_NAME=${WG4NS_TEST_USER:-wg4ns}
ROOTFS=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}/rootfs
PEER=w4ndemo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "set-up (packages, test user, build)"
bash test/env/setup.sh
# The build, where every user can run it (as a global npm install leaves it): the checkout may be in /root.
INSTALL=$(bash test/env/stage.sh)
echo "the hook's files: $INSTALL/dist"

uid=$(id -u "$USER_NAME"); home=$(getent passwd "$USER_NAME" | cut -d: -f6)
as_user() { (cd / && runuser -u "$USER_NAME" -- env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$home" XDG_RUNTIME_DIR="/run/user/$uid" "$@"); }
work=$(mktemp -d)
cleanup() { bash test/env/peer.sh down "$PEER" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

say "a WireGuard peer (Debian's wireguard-go) with a web backend, in netns $PEER"
peer_key=$(wg genkey); client_key=$(wg genkey)
echo "$peer_key" > "$work/peer.key"
bash test/env/peer.sh up "$PEER" "$work/peer.key" "$(echo "$client_key" | wg pubkey)" 3 >/dev/null
eval "$(bash test/env/peer.sh info "$PEER" 3)"
echo "peer endpoint $PEER_NS_V4:51820, backend http://198.51.100.1:8080/ and http://[fd5a:7b1e:c0de::1]:8080/"

say "the user's config ($home/wg/demo.conf, mode 0600)"
install -d -o "$USER_NAME" -m 0700 "$home/wg"
install -o "$USER_NAME" -m 0600 /dev/stdin "$home/wg/demo.conf" <<CONF
[Interface]
PrivateKey = $client_key
Address = 198.51.100.2/32, fd5a:7b1e:c0de::2/128

[Peer]
PublicKey = $(echo "$peer_key" | wg pubkey)
Endpoint = $PEER_NS_V4:51820
AllowedIPs = 198.51.100.0/24, fd5a:7b1e:c0de::/64
CONF
sed 's/^PrivateKey = .*/PrivateKey = (hidden)/' "$home/wg/demo.conf"

say "install the hook for $USER_NAME"
as_user /usr/bin/node "$INSTALL/dist/wireguard4netns" install

say "podman run --network none --annotation wireguard4netns.conf=$home/wg/demo.conf (as $USER_NAME, rootless)"
as_user podman --hooks-dir "$home/.config/containers/oci/hooks.d" run --rm --network none \
  --annotation "wireguard4netns.conf=$home/wg/demo.conf" --rootfs "$ROOTFS" \
  sh -c 'echo "# inside the container:"; ip addr show wg0; ip route; ip -6 route | grep wg0
         echo "# GET http://198.51.100.1:8080/"; timeout 10 wget -q -O- http://198.51.100.1:8080/
         echo "# GET http://[fd5a:7b1e:c0de::1]:8080/"; timeout 10 wget -q -O- "http://[fd5a:7b1e:c0de::1]:8080/"'

say "after the container: daemons and tunnel state left"
pgrep -af '^/\S*wireguard-go wireguard4netns' || echo "no daemon"
[ -z "$(ls -A "/run/user/$uid/wireguard4netns" 2>/dev/null)" ] && echo "no tunnel state left"
say "the peer saw"
bash test/env/peer.sh exec "$PEER" wg show wgp | sed -n '/peer:/,$p'
