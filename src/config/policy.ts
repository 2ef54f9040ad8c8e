// Which config files the hook may read. Rootless, the hook acts for the
// user who owns the container, and reads that user's files. As real root
// (rootful podman, CRI-O), annotations may come from users who are not
// root, so only files below the directories of the hook's own config file
// are read: /etc/wireguard4netns/hook.json, {"configDirs": ["/etc/wireguard4netns"]}.
// A hook installed for pods (install --pods) reads no host file at all,
// whoever runs it: pods name their own file (docs/security.md says why).
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Failure } from '../errors.js';
import { hostUid } from '../userns.js';
import { defaultOwners, type ReadPolicy } from './read.js';

export const HOOK_CONFIG = '/etc/wireguard4netns/hook.json';
export const DEFAULT_CONFIG_DIRS = ['/etc/wireguard4netns'];

export function parseHookConfig(text: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Failure(`${HOOK_CONFIG}: not valid JSON; expected {"configDirs": ["/absolute/dir", ...]}`);
  }
  const dirs = (raw as { configDirs?: unknown } | null)?.configDirs;
  if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string' && isAbsolute(d) && d !== '/')) {
    throw new Failure(`${HOOK_CONFIG}: configDirs: expected a list of absolute directories other than /`);
  }
  return dirs as string[];
}

export function hookReadPolicy(): ReadPolicy {
  if (hostUid() !== 0) return { owners: defaultOwners() };
  let text: string | undefined;
  try {
    text = readFileSync(HOOK_CONFIG, 'utf8');
  } catch {}
  return { owners: [0], allowedDirs: text === undefined ? DEFAULT_CONFIG_DIRS : parseHookConfig(text) };
}

/** The hook's arguments after its bundle: --pods, from "install --pods", or none. */
export interface HookArgs {
  /** the annotation comes from pod authors: only container:PATH configs */
  pods: boolean;
}

export const PODS_ARG = '--pods';

export function parseHookArgs(args: string[]): HookArgs {
  const unknown = args.filter((a) => a !== PODS_ARG);
  if (unknown.length > 0)
    throw new Failure(
      `hook arguments: ${JSON.stringify(unknown[0])}: expected ${PODS_ARG} or nothing (the hook JSON that "install" writes)`,
    );
  return { pods: args.includes(PODS_ARG) };
}

/**
 * A hook for pods refuses a host path before looking at it, so that the
 * refusal says nothing of whether the file exists: the annotation comes
 * from pod authors, who may not read the node's files, whichever uid the
 * hook runs as (rootless Kubernetes runs it as root of a user namespace).
 */
export function refuseHostPathForPods(config: string): never {
  throw new Failure(
    `${config}: this hook serves pods (installed with ${PODS_ARG}), which may name only container:PATH, a file of the pod's own such as a Secret volume; not a file of the node`,
  );
}
