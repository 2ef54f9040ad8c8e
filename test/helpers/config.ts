// Valid configs for tests, with fixed keys (never used outside tests).
export const KEYS = {
  client: { private: 'kMtU3LA/ATPHHxQeMIsnZ8Tke5EPHPzm/1e1V2zaoWs=', public: 'VIHlmyZAMHiffILO4rl6tT1fteHjFN5QvFMUx4sYkjk=' },
  server: { private: 'wDPxoEZOLoLANwoNb7HoaxQQRdv4EHfMki1v6LCTE0k=', public: 'g5chJg63l3TUezJBfXF0Hm7XAE5pCWT9XxqBTWKbdj0=' },
  psk: 'BD029U6HX+b3JtVUdDnxZWPekaXgfkQjrUfdA8bjSv4=',
};

export function configText(extra = { iface: '', peer: '' }): string {
  return `[Interface]
PrivateKey = ${KEYS.client.private}
Address = 198.51.100.2/32, fd5a:7b1e:c0de::2/128
${extra.iface}
[Peer]
PublicKey = ${KEYS.server.public}
Endpoint = 198.18.0.2:51820
AllowedIPs = 0.0.0.0/0, ::/0
${extra.peer}
`;
}
