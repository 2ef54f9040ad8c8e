// wireguard4netns.wait=SECONDS: the hook also waits, bounded, for a first
// handshake, so that the application does not start before its backend is
// reachable. A keepalive turned on starts a handshake at once, so peers
// without one get it for the wait.

import { WAIT_ANNOTATION } from '../annotations.js';
import type { Config } from '../config/validate.js';
import { Failure } from '../errors.js';
import { stopHereForTests } from './teststop.js';
import { parseDevice, uapiRequest } from './uapi.js';
import { formatEndpoint } from './uapiconfig.js';

export async function awaitHandshake(socket: string, config: Config, seconds: number): Promise<void> {
  const peers = config.peers.filter((p) => p.endpoint);
  if (peers.length === 0) throw new Failure(`annotation ${WAIT_ANNOTATION}: no peer has an Endpoint, so no handshake can start`);
  const silent = peers.filter((p) => !p.persistentKeepalive).map((p) => p.publicKey.toString('hex'));
  const keepalive = (secs: number) =>
    uapiRequest(
      socket,
      `set=1\n${silent.map((k) => `public_key=${k}\nupdate_only=true\npersistent_keepalive_interval=${secs}\n`).join('')}\n`,
    );
  if (silent.length > 0) await keepalive(25);
  const deadline = Date.now() + seconds * 1000;
  stopHereForTests('wait');
  for (;;) {
    if (parseDevice(await uapiRequest(socket, 'get=1\n\n')).peers.some((p) => p.latestHandshake > 0)) break;
    if (Date.now() >= deadline) {
      const where = peers.map((p) => formatEndpoint({ address: p.endpoint!.host, port: p.endpoint!.port })).join(', ');
      throw new Failure(`no handshake with ${where} within ${seconds} s (annotation ${WAIT_ANNOTATION})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (silent.length > 0) await keepalive(0);
}
