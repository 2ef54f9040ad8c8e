// The OCI runtime state a hook reads on stdin (runtime-spec, "State").
import { Failure } from './errors.js';

export interface OciState {
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
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
