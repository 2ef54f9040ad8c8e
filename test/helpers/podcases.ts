// What a pod's tunnel must do through container stops and restarts, the
// same under CRI-O and containerd: one container stops and the other keeps
// the tunnel, with status listing only the live one; the kubelet's restart
// of it (attempt 1) joins the running tunnel and reaches the backend.
import * as assert from 'uvu/assert';
import type { Pod } from './kubelet.js';
import { assertFetchedBoth, FETCH_BOTH } from './peer.js';

export interface PodTunnel {
  dir: string;
  containers: string[];
  daemonPid: number | null;
}

/**
 * Stops first (named "first"), checks second keeps the tunnel, restarts
 * first and checks it joined; `check` runs after the stop (more status
 * checks of the caller's). Returns the restarted container's id.
 */
export async function assertStopAndRestart(
  pod: Pod,
  tunnels: (filter: string) => Promise<PodTunnel[]>,
  mine: PodTunnel,
  [first, second]: [string, string],
  command: string[],
  check: () => Promise<unknown> = async () => {},
): Promise<string> {
  await pod.stopContainer(first);
  const [kept] = await tunnels(second.slice(0, 12));
  assert.equal([kept?.dir, kept?.daemonPid, kept?.containers], [mine.dir, mine.daemonPid, [second]], 'after the first stopped');
  await check();
  assertFetchedBoth(await pod.exec(second, ['sh', '-c', FETCH_BOTH]), 'the second, after the first stopped');

  // The kubelet restarts it (attempt 1): it joins the running tunnel.
  const again = await pod.start('first', command, { attempt: 1 });
  assertFetchedBoth(await pod.exec(again, ['sh', '-c', FETCH_BOTH]), 'the first, restarted');
  assert.equal(
    (await tunnels(again.slice(0, 12))).map((t) => [t.dir, t.containers.sort()]),
    [[mine.dir, [again, second].sort()]],
    'the restarted container joined the tunnel',
  );
  return again;
}
