// The OCI runtime state a hook reads on stdin (runtime-spec, "State").
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Failure } from './errors.js';

export interface OciState {
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
}

/**
 * The hook stage of a state's status: createRuntime (runc says "creating",
 * crun "created") or poststop. The hook's first process starts the daemon
 * for a createRuntime state of a container that asked for a tunnel
 * (wireguard-go/hook.go earlyTarget; test/fixtures/contract/launcher.json).
 */
export function hookStage(status: string): 'createRuntime' | 'poststop' | undefined {
  if (status === 'creating' || status === 'created') return 'createRuntime';
  return status === 'stopped' ? 'poststop' : undefined;
}

export function parseOciState(text: string): OciState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Failure('OCI state on stdin: not valid JSON; expected the runtime state object');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Failure('OCI state on stdin: expected a JSON object');
  const s = raw as Record<string, unknown>;
  const field = (name: string, ok: boolean, expected: string) => {
    if (!ok) throw new Failure(`OCI state on stdin: ${name}: expected ${expected}`);
  };
  field('id', typeof s.id === 'string' && s.id !== '', 'a container id');
  field('status', typeof s.status === 'string', 'a status string');
  field('pid', s.pid === undefined || (Number.isInteger(s.pid) && (s.pid as number) >= 0), 'a process id');
  field('bundle', s.bundle === undefined || typeof s.bundle === 'string', 'the bundle path');
  const annotations = s.annotations ?? {};
  field('annotations', typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations), 'an object');
  return {
    id: s.id as string,
    status: s.status as string,
    pid: (s.pid as number | undefined) ?? 0,
    bundle: (s.bundle as string | undefined) ?? '',
    annotations: annotations as Record<string, string>,
  };
}

// The bundle's config.json (runtime-spec, "Configuration"): what the
// container itself sees of the host's files, and as whom. Only the fields
// a "container:PATH" config needs.

export interface Mount {
  destination: string;
  source: string;
  /** a bind mount: type "bind", or "bind"/"rbind" among its options */
  bind: boolean;
  /** "ro" among its options: the container may not write it */
  readOnly: boolean;
}

/** A user namespace's mapping of container ids (containerID...) to ids outside it (hostID...). */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface BundleSpec {
  /** BUNDLE/config.json, for messages */
  file: string;
  /** the root filesystem's host path (root.path, relative to the bundle), when the spec has one */
  root?: string;
  mounts: Mount[];
  uid: number;
  /** the process's gid and additional gids */
  gids: number[];
  /** the capabilities the process holds once it runs (see capabilitiesAfterExec) */
  capabilities: string[];
  /** present when the container has a user namespace of its own */
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export function parseBundleSpec(file: string, text: string): BundleSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Failure(`${file}: not valid JSON; expected the container's OCI configuration`);
  }
  const bad = (field: string, expected: string) => new Failure(`${file}: ${field}: expected ${expected}`);
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const id = (v: unknown, field: string): number => {
    if (!(Number.isInteger(v) && (v as number) >= 0)) throw bad(field, 'a whole number');
    return v as number;
  };
  const c = obj(raw);
  const mountsRaw = c.mounts ?? [];
  if (!Array.isArray(mountsRaw)) throw bad('mounts', 'a list');
  const mounts = mountsRaw.map((m, i) => {
    const o = obj(m);
    if (typeof o.destination !== 'string') throw bad(`mounts[${i}].destination`, 'a path');
    const options = Array.isArray(o.options) ? o.options : [];
    return {
      destination: o.destination,
      source: typeof o.source === 'string' ? o.source : '',
      bind: o.type === 'bind' || options.includes('bind') || options.includes('rbind'),
      readOnly: options.includes('ro'),
    };
  });
  const process = obj(c.process);
  const user = obj(process.user);
  const extra = user.additionalGids ?? [];
  if (!Array.isArray(extra)) throw bad('process.user.additionalGids', 'a list');
  const linux = obj(c.linux);
  const namespaces = Array.isArray(linux.namespaces) ? linux.namespaces : [];
  const ownUserns = namespaces.some((n) => obj(n).type === 'user');
  const mappings = (field: 'uidMappings' | 'gidMappings'): IdMapping[] => {
    const list = linux[field] ?? [];
    if (!Array.isArray(list)) throw bad(`linux.${field}`, 'a list');
    return list.map((m, i) => {
      const o = obj(m);
      const f = `linux.${field}[${i}]`;
      return { containerID: id(o.containerID, `${f}.containerID`), hostID: id(o.hostID, `${f}.hostID`), size: id(o.size, `${f}.size`) };
    });
  };
  const uid = id(user.uid ?? 0, 'process.user.uid');
  const rootPath = obj(c.root).path;
  return {
    file,
    ...(typeof rootPath === 'string' && rootPath !== '' ? { root: resolve(dirname(file), rootPath) } : {}),
    mounts,
    uid,
    gids: [id(user.gid ?? 0, 'process.user.gid'), ...extra.map((g, i) => id(g, `process.user.additionalGids[${i}]`))],
    capabilities: capabilitiesAfterExec(uid, obj(process.capabilities)),
    ...(ownUserns ? { uidMappings: mappings('uidMappings'), gidMappings: mappings('gidMappings') } : {}),
  };
}

/**
 * What the container's process holds once the runtime has exec'd it
 * (capabilities(7), "Transformation of capabilities during execve()"):
 *
 *   - uid 0: the effective set the spec gives. (The kernel gives root
 *     permitted = effective = inheritable | bounding; runtimes set bounding
 *     and effective alike, and taking the smaller one can only refuse a
 *     file, never read one the process could not.)
 *   - any other uid: only the ambient set. Without file capabilities a
 *     non-root process's new permitted and effective sets are its ambient
 *     set; the effective set the spec lists is lost at exec.
 *
 * File capabilities (a setcap'd program in the image) are not modelled:
 * they could give more, so leaving them out errs towards refusing.
 */
function capabilitiesAfterExec(uid: number, caps: Record<string, unknown>): string[] {
  const set = uid === 0 ? caps.effective : caps.ambient;
  return Array.isArray(set) ? set.filter((x): x is string => typeof x === 'string') : [];
}

/** BUNDLE/config.json, read and parsed. */
export function readBundleSpec(bundle: string): BundleSpec {
  if (!bundle.startsWith('/')) throw new Failure("OCI state on stdin: bundle: expected the bundle path, to read the container's mounts");
  const file = `${bundle.replace(/\/+$/, '')}/config.json`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Failure(`${file}: cannot read the container's OCI configuration: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseBundleSpec(file, text);
}
