// Which config files the hook may read. Rootless, the hook acts for the
// user who owns the container, and reads that user's files. As real root
// (rootful podman, CRI-O), annotations may come from users who are not
// root, so only files below the directories of the hook's own config file
// are read: /etc/wireguard4netns/hook.json, {"configDirs": ["/etc/wireguard4netns"]}.
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
