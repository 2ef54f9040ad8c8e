// A smoke check of the benchmark (npm run bench): its quick mode (about
// 45 s) runs every phase end to end through its real entry point, with
// --tune-sysctl (whose raised caps must be back after), writes a
// complete JSON, and leaves no netns, container, daemon or process behind.
// Its targets are not asserted: a quick run's numbers mean little. Its
// time is bounded; the Debian 13 root its podman 5 phase runs in is built
// before (on a new machine, the first suite to need it builds it).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PREFIX } from '../../bench/context.js';
import type { Results, Target } from '../../bench/report.js';
import { podman, ROOT } from '../helpers/env.js';
import { assertNothingLeft } from '../helpers/leaks.js';
import { buildTrixie } from '../helpers/trixie.js';

const test = suite('bench: npm run bench -- --quick');

test('should measure every contender and phase, and leave nothing behind', async () => {
  await execa('npm', ['run', '--silent', 'build:bench'], { cwd: ROOT });
  await buildTrixie();
  const dir = mkdtempSync(join(tmpdir(), 'wg4ns-bench-'));
  try {
    const out = join(dir, 'result.json');
    const caps = () => ['rmem_max', 'wmem_max'].map((n) => Number(readFileSync(`/proc/sys/net/core/${n}`, 'utf8')));
    const before = caps();
    const r = await execa(process.execPath, [join(ROOT, 'dist/bench/bench.mjs'), '--quick', '--tune-sysctl', '--json', out], {
      cwd: ROOT,
      reject: false,
      timeout: 240_000,
    });
    assert.is(r.exitCode, 0, `bench failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
    assert.match(r.stdout, /\| target \| measured \| goal \| result \|/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as Results & { targets: Target[] };
    for (const [key, c] of Object.entries(json.throughput!.contenders)) {
      assert.ok(c.tcpBps > 0 && c.udpBps > 0 && c.tcpRttMedianMs > 0, `${key}: ${JSON.stringify(c)}`);
      assert.ok(c.cpuSecondsPerGB! > 0, `${key}: CPU per GB ${c.cpuSecondsPerGB}`);
    }
    // --tune-sysctl: the caps went back; ours' daemon had full buffers with them raised, and a notice below 7 MiB without.
    assert.equal(caps(), before, 'net.core.rmem_max/wmem_max restored');
    const tuned = json.throughput!.tuned!;
    assert.ok(tuned.ours.tcpBps > 0 && tuned.rootful.tcpBps > 0 && tuned.ours.cpuSecondsPerGB > 0);
    assert.is(tuned.oursNotice, null);
    assert.is(json.throughput!.oursNotice !== null, Math.min(...before) < 7 << 20, String(json.throughput!.oursNotice));
    for (const [kind, samples] of Object.entries(json.start!.samplesMs)) {
      assert.ok(samples.length === json.start!.runs && samples.every((ms) => ms > 0), `${kind}: ${samples}`);
    }
    // The hook ran in the timed starts: the tunnel's starts logged their steps (below), and the runtime got the no-op hook.
    assert.ok(json.start!.noopHookInSpec, 'the no-op hooks dir gives the runtime the hook command at createRuntime');
    for (const parts of [json.start!.breakdown, json.start!.firstBreakdown]) {
      assert.ok(
        parts.some((p) => p.part.includes('(daemon.log)')),
        'step times from daemon.log',
      );
    }
    // Both kinds run Node: each has its hook's peak RSS.
    const rss = json.memory!.hookPeakRssKb;
    for (const kind of ['first', 'repeated']) assert.ok(rss[`createRuntime, ${kind}`]?.max > 0, JSON.stringify(rss));
    assert.is(json.memory!.tunnels.working, json.memory!.tunnels.count);
    assert.ok(json.memory!.idleDaemon.rssKb > 0);
    assert.is(json.targets.length, 10);
    const pss = json.targets.find((t) => t.name.includes('idle tunnels: PSS per tunnel'));
    assert.ok(pss && pss.value > 0 && pss.goal === '<= 2 MiB', JSON.stringify(pss));
    for (const [key, c] of Object.entries(json.podman5!.contenders)) {
      assert.ok(c.medianBps > 0 && c.medianCpuSecondsPerGB > 0, `podman 5 ${key}: ${JSON.stringify(c)}`);
    }
    assert.ok(
      json.podman5!.startMedianMs.pluginCold > json.podman5!.startMedianMs.none,
      'a start on the plugin network takes longer than none',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const netns = (await execa('ip', ['netns', 'list'])).stdout;
  for (const name of ['p', 'd', 'r', 'o']) assert.not.match(netns, new RegExp(`^${PREFIX}${name}\\b`, 'm'), `netns ${PREFIX}${name} left`);
  const containers = (await podman(['ps', '-a', '--format', '{{.Names}}'])).stdout;
  assert.not.match(containers, new RegExp(`^${PREFIX}-`, 'm'), 'bench containers left');
  const servers = await execa('pgrep', ['-f', '^iperf3 -s -B S+ -p 530[12] --forceflush'], { reject: false });
  assert.is(servers.stdout, '', 'iperf3 servers left');
  await assertNothingLeft('after the bench');
});

test.run();
