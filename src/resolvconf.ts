// DNS= of the config, written into the resolv.conf that podman bind-mounts
// into the container (found in the bundle's config.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/validate.js';

/** The host path of the file mounted at /etc/resolv.conf, if the bundle has one. */
export function resolvConfSource(bundle: string): string | undefined {
  if (!bundle) return undefined;
  try {
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { mounts?: { destination?: string; source?: string }[] };
    return spec.mounts?.find((m) => m.destination === '/etc/resolv.conf')?.source;
  } catch {
    return undefined;
  }
}

export function resolvConfText(config: Config): string {
  const lines = [`# written by wireguard4netns from ${config.file}`];
  for (const ns of config.dns) lines.push(`nameserver ${ns}`);
  if (config.dnsSearch.length > 0) lines.push(`search ${config.dnsSearch.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** Writes the file and returns its undo. */
export function writeResolvConf(path: string, config: Config): () => void {
  const before = readFileSync(path);
  writeFileSync(path, resolvConfText(config));
  return () => writeFileSync(path, before);
}
