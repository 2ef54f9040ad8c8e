// The network namespace a tunnel goes into, and how to act inside it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Failure } from '../errors.js';
import { systemTool } from '../tools.js';
import { inInitialUserns } from '../userns.js';

export interface Target {
  /** path of the network namespace (/proc/PID/ns/net or a bind mount) */
  netns: string;
  /** its inode: the namespace's identity */
  inode: number;
  /** user namespace to enter first, when we lack capabilities over the netns */
  userns?: string;
  /** the process whose end (and that of every other process in the netns) ends the tunnel */
  watchPid?: number;
}

function inode(path: string, what: string): number {
  try {
    return statSync(path).ino;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Failure(`${what}: cannot open ${path}: ${code === 'ENOENT' ? 'no such process or file' : code}`);
  }
}

/** A live process in the network namespace with this inode, if any. */
export function processInNetns(netnsInode: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (statSync(`/proc/${name}/ns/net`).ino === netnsInode) return Number(name);
    } catch {}
  }
  return undefined;
}

/** The user namespace to enter, or undefined when we already hold capabilities over it. */
function usernsToEnter(userns: string): string | undefined {
  if (inInitialUserns() && process.geteuid!() === 0) return undefined;
  return statSync('/proc/self/ns/user').ino === statSync(userns).ino ? undefined : userns;
}

/** Resolves the command line's PID|NETNS_PATH. */
export function resolveTarget(spec: string, usernsOption?: string): Target {
  if (/^\d+$/.test(spec)) return pidTarget(Number(spec), `process ${spec}`, usernsOption);
  if (!spec.startsWith('/'))
    throw new Failure(`target ${JSON.stringify(spec)}: expected a process id or the absolute path of a network namespace`);
  const netnsInode = inode(spec, 'network namespace');
  let userns = usernsOption;
  if (!userns) {
    const pid = processInNetns(netnsInode);
    if (pid) userns = `/proc/${pid}/ns/user`;
    else if (!(inInitialUserns() && process.geteuid!() === 0)) {
      throw new Failure(`network namespace ${spec}: no process is in it to find its user namespace; pass --userns PATH`);
    }
  }
  return { netns: spec, inode: netnsInode, userns: userns && usernsToEnter(userns) };
}

/**
 * Waits, bounded, until process pid is in a network namespace of its own,
 * with its user namespace's ids mapped: a caller that has just spawned
 * "unshare --user --map-root-user --net" may ask before the child got
 * there (the original tool's user does; see docs/python.md).
 */
export async function awaitOwnNamespace(pid: number, timeoutMs = 2000): Promise<void> {
  const ours = statSync('/proc/self/ns/net').ino;
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const netns = inode(`/proc/${pid}/ns/net`, `process ${pid}`);
    if (netns !== ours && usernsReady(pid)) return;
    if (Date.now() >= deadline) {
      throw new Failure(
        `process ${pid} is still in our network namespace after ${timeoutMs / 1000} s; expected a process in a network namespace of its own (as "unshare --net" makes)`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether pid's user namespace is ours, or has its uid map written. */
function usernsReady(pid: number): boolean {
  try {
    return (
      statSync(`/proc/${pid}/ns/user`).ino === statSync('/proc/self/ns/user').ino ||
      readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim() !== ''
    );
  } catch {
    return false;
  }
}

/** The namespace of process pid, for as long as a process lives in it. */
function pidTarget(pid: number, what: string, userns = `/proc/${pid}/ns/user`): Target {
  const netns = `/proc/${pid}/ns/net`;
  return { netns, inode: inode(netns, what), userns: usernsToEnter(userns), watchPid: pid };
}

/**
 * Target of a hook: the container's init. The hook runs in the runtime's
 * user namespace, as the runtime's user, so it already holds every
 * capability over the container's user namespace: that one is either the
 * same or (--userns=keep-id, --userns=auto) a child the runtime created.
 * Entering a child would make us its unprivileged user (keep-id maps our
 * uid 0 to the user's own uid), without the capabilities the daemon needs.
 */
export function containerTarget(pid: number): Target {
  return { ...pidTarget(pid, `container process ${pid}`), userns: undefined };
}

/** argv prefix that runs a command with capabilities over the target's user namespace. */
export function userPrefix(t: Target): string[] {
  return t.userns ? [systemTool('nsenter'), ...userArgs(t), '--'] : [];
}

function userArgs(t: Target): string[] {
  return t.userns ? [`--user=${t.userns}`, '--preserve-credentials'] : [];
}

/** The network namespace inode of a process, or undefined when it is gone. */
export function netnsInodeOf(pid: number | string): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/** The network namespace inode of process filter, when filter is a live pid. */
export function netnsInodeOfPid(filter: string): number | undefined {
  return /^\d+$/.test(filter) ? netnsInodeOf(filter) : undefined;
}
