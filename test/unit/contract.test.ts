// What our TypeScript and our Go must agree on, pinned by the fixtures in
// test/fixtures/contract, which wireguard-go/contract_test.go reads too: a
// change on one side fails the other's test.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HOOK_INTERFACE } from '../../hooks/createRuntime.js';
import { HOOK_VERDICT_ENV } from '../../hooks/verdict.js';
import { readAnnotations } from '../../src/annotations.js';
import { publicKeyOf } from '../../src/keys.js';
import { hookStage } from '../../src/oci.js';
import { runtimeBaseOf, tunnelDir } from '../../src/paths.js';
import { type DaemonOptions, earlyDaemon, HOOK_DAEMON_ENV, isDaemonProc, lateFlags, parseReport } from '../../src/tunnel/daemon.js';
import { identityDigest } from '../../src/tunnel/identity.js';
import { mapToParent } from '../../src/userns.js';

/** The fixture name: from dist/test/unit, where this test runs bundled, or from test/unit. */
function contract<T>(name: string): T {
  for (const dir of ['../../../test/fixtures/contract/', '../fixtures/contract/']) {
    try {
      return JSON.parse(readFileSync(new URL(dir + name, import.meta.url), 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`the contract fixture ${name} is missing`);
}

/** The cases of a fixture, which must have some. */
function cases<T>(list: T[] | undefined, name: string): T[] {
  assert.ok(list && list.length > 0, `${name}: no cases`);
  return list!;
}

const test = suite('contract with wireguard-go');

test('runtime-base.json: where the state lives', () => {
  const c = contract<{
    bases: { name: string; override?: string; uid: number; dirs: string[]; passwd: string; base: string }[];
    uidMaps: { name: string; id: number; uidMap: string; host: number }[];
    tunnelDirs: { base: string; netnsInode: number; iface: string; dir: string }[];
  }>('runtime-base.json');
  for (const b of cases(c.bases, 'bases')) {
    const got = runtimeBaseOf(b.override, b.uid, { isDir: (dir) => b.dirs.includes(dir), passwd: () => b.passwd });
    assert.is(got, b.base, b.name);
  }
  for (const m of cases(c.uidMaps, 'uidMaps')) assert.is(mapToParent(m.id, m.uidMap), m.host, m.name);
  for (const d of cases(c.tunnelDirs, 'tunnelDirs')) assert.is(tunnelDir(d.netnsInode, d.iface, d.base), d.dir);
});

test('daemon-pid.json: whether a pid is our daemon', () => {
  const c = contract<{ cases: { name: string; stat: string; cmdline: string; daemon: boolean }[] }>('daemon-pid.json');
  for (const p of cases(c.cases, 'cases')) assert.is(isDaemonProc(p.stat, p.cmdline), p.daemon, p.name);
});

test('flags-line.json: the config pipe first line', () => {
  const c = contract<{ cases: { name: string; options: Partial<DaemonOptions>; line: string[] }[] }>('flags-line.json');
  const rest = { iface: 'wg0', config: '', dir: '/run/d', selfPeer: () => '' };
  for (const f of cases(c.cases, 'cases')) assert.equal(lateFlags({ ...rest, ...f.options } as DaemonOptions), f.line, f.name);
});

test("reports.json: the daemon's report lines", () => {
  const c = contract<{ cases: { line: string; report: object }[] }>('reports.json');
  for (const r of cases(c.cases, 'cases')) assert.equal(parseReport(r.line), r.report, r.line);
});

test("hook-daemon-env.json: the launcher's env line", () => {
  const c = contract<{ env: string; cases: { value: string; daemon: object }[] }>('hook-daemon-env.json');
  assert.is(HOOK_DAEMON_ENV, c.env);
  for (const e of cases(c.cases, 'cases')) assert.equal(earlyDaemon({ [c.env]: e.value }), e.daemon, e.value);
});

test("identity.json: a config's identity", () => {
  const c = contract<{ privateKeyHex: string; publicKeyHex: string; cases: { input: string; identity: string }[] }>('identity.json');
  assert.is(publicKeyOf(Buffer.from(c.privateKeyHex, 'hex')).toString('hex'), c.publicKeyHex);
  for (const i of cases(c.cases, 'cases')) assert.is(identityDigest(c.publicKeyHex, i.input), i.identity, i.input);
});

test('launcher.json: the states the launcher starts a daemon for', () => {
  const c = contract<{
    iface: string;
    verdictEnv: string;
    cases: { name: string; state: { status: string; pid: number; annotations: Record<string, string> }; launch: boolean }[];
  }>('launcher.json');
  assert.is(HOOK_INTERFACE, c.iface);
  assert.is(HOOK_VERDICT_ENV, c.verdictEnv);
  for (const l of cases(c.cases, 'cases')) {
    const { status, pid, annotations } = l.state;
    const createRuntime = readAnnotations(annotations).config !== undefined && hookStage(status) === 'createRuntime';
    assert.is(createRuntime && pid > 0, l.launch, l.name);
  }
});

test.run();
