// wireguard-go's UAPI socket: requests (uapiconfig.ts encodes the
// configurations) and what a "get=1" reply says. Not on the hook's path:
// its modules (net, and crypto for the public key) would slow every start.
import { connect } from 'node:net';
import { Failure } from '../errors.js';
import { publicKeyOf } from '../keys.js';

/** Parses a reply: its key=value lines and the errno it ends with. */
export function parseReply(text: string): { errno: number; entries: [string, string][] } {
  const entries: [string, string][] = [];
  let errno = Number.NaN;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const [k, v] = [line.slice(0, eq), line.slice(eq + 1)];
    if (k === 'errno') errno = Number(v);
    else entries.push([k, v]);
  }
  return { errno, entries };
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens on it (its daemon is dead)',
  ENOENT: 'no such socket (its daemon has ended)',
  ECONNRESET: 'the daemon dropped the connection before it answered (it died, or is dying)',
  EACCES: 'permission denied',
};

/** Sends one request and returns the reply's entries; fails on errno != 0. Every failure names the socket. */
export function uapiRequest(socket: string, request: string, timeoutMs = 2000): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn = connect(socket);
    const fail = (why: string) => {
      clearTimeout(timer);
      conn.destroy();
      reject(new Failure(`${socket}: ${why}; see "wireguard4netns status"`));
    };
    const timer = setTimeout(() => fail(`the daemon did not answer within ${timeoutMs} ms`), timeoutMs);
    conn.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString();
      if (!/(^|\n)errno=-?\d+\n\n$/.test(text)) return;
      clearTimeout(timer);
      conn.end();
      const reply = parseReply(text);
      if (reply.errno !== 0) {
        // The request is not repeated: it holds keys.
        reject(
          new Failure(
            `wireguard-go refused the configuration (errno=${reply.errno}${reply.errno === -98 ? ': listen port in use' : ''}); see its log`,
          ),
        );
      } else resolve(reply.entries);
    });
    conn.on('error', (err: NodeJS.ErrnoException) => fail(SOCKET_ERRORS[err.code ?? ''] ?? err.message));
    conn.on('end', () => fail('the daemon closed the connection before its reply ended'));
    conn.write(request);
  });
}

// ---- what a "get=1" reply says: the device and its peers, never a secret ----

export interface PeerStatus {
  /** base64 */
  publicKey: string;
  endpoint: string | null;
  /** unix seconds; 0: never */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** seconds; 0: off */
  persistentKeepalive: number;
  allowedIPs: string[];
}

export interface DeviceStatus {
  /** base64, derived from the private key, which is not kept */
  publicKey: string | null;
  listenPort: number | null;
  peers: PeerStatus[];
}

const SECRET_KEYS = new Set(['private_key', 'preshared_key']);

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const int = (text: string) => (/^\d+$/.test(text) ? Number(text) : 0);

/** The device and its peers from a "get=1" reply's entries, without any secret. */
export function parseDevice(entries: [string, string][]): DeviceStatus {
  const device: DeviceStatus = { publicKey: null, listenPort: null, peers: [] };
  let peer: PeerStatus | undefined;
  for (const [key, value] of entries) {
    if (key === 'private_key') {
      if (!peer && /^[0-9a-f]{64}$/.test(value) && !/^0+$/.test(value))
        device.publicKey = publicKeyOf(Buffer.from(value, 'hex')).toString('base64');
      continue;
    }
    if (SECRET_KEYS.has(key)) continue;
    if (key === 'public_key') {
      peer = { publicKey: b64(value), endpoint: null, latestHandshake: 0, rxBytes: 0, txBytes: 0, persistentKeepalive: 0, allowedIPs: [] };
      device.peers.push(peer);
    } else if (!peer) {
      if (key === 'listen_port') device.listenPort = int(value);
    } else if (key === 'endpoint') peer.endpoint = value;
    else if (key === 'last_handshake_time_sec') peer.latestHandshake = int(value);
    else if (key === 'rx_bytes') peer.rxBytes = int(value);
    else if (key === 'tx_bytes') peer.txBytes = int(value);
    else if (key === 'persistent_keepalive_interval') peer.persistentKeepalive = int(value);
    else if (key === 'allowed_ip') peer.allowedIPs.push(value);
  }
  return device;
}
