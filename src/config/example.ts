// "wireguard4netns example": a commented client config to start from.
export function exampleConfig(privateKey: string): string {
  return `# wireguard4netns client config: give it to a container with
#   podman run --network none --annotation wireguard4netns.conf=$PWD/THIS.conf ...
# Keep it private: chmod 600. The peer needs this side's public key:
#   grep '^PrivateKey' THIS.conf | cut -d' ' -f3 | wireguard4netns pubkey
[Interface]
PrivateKey = ${privateKey}
# The container's addresses inside the tunnel (v4 and/or v6).
Address = 10.8.0.2/32, fd42:8::2/128
# Name servers (and search domains) for the container's resolv.conf.
# DNS = 10.8.0.1, corp.example
# MTU = 1420

[Peer]
# The backend's public key, from "wg pubkey" on the peer.
PublicKey = REPLACE_WITH_THE_PEER_PUBLIC_KEY=
# Where the peer listens: IP:port, [IPv6]:port or a name (re-resolved if it moves).
Endpoint = edge.example.net:51820
# What goes through the tunnel; 0.0.0.0/0, ::/0 makes it the only way out.
AllowedIPs = 0.0.0.0/0, ::/0
# Keeps NAT mappings open and the peer able to reach us.
PersistentKeepalive = 25
`;
}
