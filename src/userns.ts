// Who we are across user namespaces: a hook runs as uid 0 of podman's user
// namespace, and its environment says nothing reliable, so the host uid
// comes from /proc/self/uid_map.
import { readFileSync } from 'node:fs';

/** Maps an id through a /proc/PID/{uid,gid}_map text to the parent namespace. */
export function mapToParent(id: number, mapText: string): number {
  for (const line of mapText.trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (id >= inside && id < inside + count) return outside + (id - inside);
  }
  return id;
}

/** The uid we have in the parent user namespace (the host's, for podman). */
export function hostUid(): number {
  return mapToParent(process.geteuid!(), readFileSync('/proc/self/uid_map', 'utf8'));
}

/** Whether we are in the initial user namespace (real root can act on any child). */
export function inInitialUserns(): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
}
