// The annotations a container (or its pod) sets for us: their names, their
// parsing and their checks, in one place. The hook JSON selects the hook
// by the first one.
import { Failure, quote } from './errors.js';

/** the config: an absolute host path, or "container:PATH"; the hook JSON's "when" matches it */
export const CONFIG_ANNOTATION = 'wireguard4netns.conf';
/** The config annotation's prefix for a file the container itself sees (a Kubernetes Secret volume, a podman secret). */
export const IN_CONTAINER = 'container:';
/** seconds to wait for a first handshake before the container starts */
export const WAIT_ANNOTATION = 'wireguard4netns.wait';
/** 1, true or yes: the daemon logs every event */
export const VERBOSE_ANNOTATION = 'wireguard4netns.verbose';

/** The hook JSON's timeout (60 s) must cover the 10 s of setup plus the wait. */
export const MAX_WAIT_SECONDS = 45;

export interface Annotations {
  /** absent: the container did not ask for a tunnel */
  config?: string;
  waitSeconds?: number;
  verbose: boolean;
}

export function parseWait(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_WAIT_SECONDS)) {
    throw new Failure(`annotation ${WAIT_ANNOTATION}: expected whole seconds from 1 to ${MAX_WAIT_SECONDS}, got ${quote(value)}`);
  }
  return n;
}

/** Ours of a container's annotations, checked. */
export function readAnnotations(all: Record<string, string>): Annotations {
  return {
    config: all[CONFIG_ANNOTATION] || undefined,
    waitSeconds: parseWait(all[WAIT_ANNOTATION]),
    verbose: /^(1|true|yes)$/i.test(all[VERBOSE_ANNOTATION] ?? ''),
  };
}

/** The path inside the container that a "container:PATH" config annotation names; undefined for a host path. */
export function inContainerPath(config: string): string | undefined {
  return config.startsWith(IN_CONTAINER) ? config.slice(IN_CONTAINER.length) : undefined;
}
