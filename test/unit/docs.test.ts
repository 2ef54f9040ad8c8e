// The documentation against what it documents: the man page names every
// command and option the command line's --help prints, and every shell
// block of the README is either run by CI or marked as an example.
// Needs the build (dist/wireguard4netns), as npm test makes it first.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

// ---------------------------------------------------------------- man page

const CLI = join(ROOT, 'dist/wireguard4netns');
const help = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });

/** The lines of a yargs help text's section ("Commands", "Options", ...), up to the next one. */
function section(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^\S.*:$/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The commands the top-level --help lists. */
export function helpCommands(text: string): string[] {
  return section(text, 'Commands').flatMap((l) => /^ {2}wireguard4netns (\S+)/.exec(l)?.[1] ?? []);
}

/** The options a --help prints: each line's short and long flag, and any --flag in the usage text above the sections. */
export function helpOptions(text: string): string[] {
  const flags = section(text, 'Options').flatMap((l) => {
    const m = /^ {2}(?:(-\w), | {4})(--[\w-]+)/.exec(l);
    return m ? [m[1], m[2]].filter((f): f is string => f !== undefined) : [];
  });
  const usage = text.split(/^\w+:$/m)[0];
  return [...flags, ...(usage.match(/--[\w-]+/g) ?? [])];
}

/** The man page's markdown cut at its "### " headings: the text each command's heading opens, by the heading's first word. */
export function manSections(md: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const part of md.split(/^### /m).slice(1)) {
    const heading = part.slice(0, part.indexOf('\n'));
    parts.set(/^\*\*([\w-]+)\*\*/.exec(heading)?.[1] ?? heading, part);
  }
  return parts;
}

const man = suite('man page wireguard4netns(1)');
const MAN = 'docs/man/wireguard4netns.1.md';

man('should be the page that npm installs', () => {
  const pkg = JSON.parse(read('package.json'));
  assert.ok(pkg.man.includes('dist/man/wireguard4netns.1'), 'package.json man');
  assert.ok(pkg.files.includes('dist/man/wireguard4netns.1'), 'package.json files');
  assert.ok(existsSync(join(ROOT, MAN)));
});

man('should give every command that --help lists a section of its own :: commands', () => {
  const commands = helpCommands(help());
  assert.ok(commands.length >= 10, `commands found in --help: ${commands.join(' ')}`);
  const sections = manSections(read(MAN));
  for (const command of commands) assert.ok(sections.has(command), `${MAN}: no "### **${command}**" section`);
});

man("should name every option of each command's --help in that command's section :: options", () => {
  const md = read(MAN);
  const sections = manSections(md);
  const global = md.slice(md.indexOf('## GLOBAL OPTIONS'), md.indexOf('\n## ', md.indexOf('## GLOBAL OPTIONS') + 1));
  assert.match(global, '**--help**');
  const original = [...sections.entries()].find(([k]) => k.startsWith("The original wireguard4netns's form"))?.[1] ?? '';
  const where: [string, string, string][] = helpOptions(help()).map((o) => [o, '(top level)', original]);
  for (const command of helpCommands(help())) {
    if (command === 'completion') continue; // its --help prints the script itself
    for (const o of helpOptions(help(command))) where.push([o, command, sections.get(command) ?? '']);
  }
  assert.ok(where.some(([o]) => o === '--resolv-conf') && where.some(([o]) => o === '--tmpdir'), 'options found in --help');
  for (const [option, command, text] of where) {
    assert.ok(text.includes(`**${option}**`) || global.includes(`**${option}**`), `${MAN}: ${command}: no **${option}**`);
  }
});

man('should read the flags of a yargs help text :: helpOptions', () => {
  const text =
    'wireguard4netns up\n\nthe original: [--tmpdir DIR] pid\n\nOptions:\n  -i, --interface  name  [default: "wg0"]\n      --userns     ns\n                   --not-a-flag\n';
  assert.equal(helpOptions(text), ['-i', '--interface', '--userns', '--tmpdir']);
});

man.run();

// ---------------------------------------------------------------- README blocks

export interface Fence {
  line: number;
  info: string;
  body: string[];
}

/** The fenced code blocks of a markdown text. */
export function fences(md: string): Fence[] {
  const out: Fence[] = [];
  let open: (Fence & { fence: string }) | undefined;
  md.split('\n').forEach((l, i) => {
    const m = /^\s*(`{3,}|~{3,})(.*)$/.exec(l);
    if (open) {
      if (m?.[1].startsWith(open.fence) && m[2].trim() === '') {
        out.push({ line: open.line, info: open.info, body: open.body });
        open = undefined;
      } else open.body.push(l);
    } else if (m) open = { line: i + 1, info: m[2].trim(), body: [], fence: m[1] };
  });
  return out;
}

const SHELLS = ['sh', 'bash', 'shell', 'console'];

/** npm scripts named in a text: "npm test", "npm run [--silent] NAME". */
export function npmScripts(text: string): string[] {
  return [...text.matchAll(/\bnpm (?:test\b|run(?: --silent)? ([\w:-]+))/g)].map((m) => m[1] ?? 'test');
}

/** Every npm script CI runs: those .ci/run names, and those the scripts and the "bash FILE" scripts they run name, to the end. */
export function ciScripts(readFile: (file: string) => string, scripts: Record<string, string>): Set<string> {
  const seen = new Set<string>();
  const files = new Set<string>();
  const scan = (script: string) => {
    const text = script.replace(/(^|\s)#.*$/gm, '$1'); // what a comment names is not run
    for (const name of npmScripts(text)) {
      if (seen.has(name) || scripts[name] === undefined) continue;
      seen.add(name);
      scan(scripts[name]);
    }
    for (const [, file] of text.matchAll(/\bbash ([\w./-]+\.sh)\b/g)) {
      if (files.has(file)) continue;
      files.add(file);
      scan(readFile(file));
    }
  };
  scan(readFile('.ci/run'));
  return seen;
}

const readme = suite('README shell blocks');
const README = fences(read('README.md'));
const SCRIPTS: Record<string, string> = JSON.parse(read('package.json')).scripts;

readme('should name a language in every fence', () => {
  assert.ok(README.length > 5, 'fences found');
  for (const f of README) assert.ok(f.info !== '', `README.md:${f.line}: a fence without a language`);
});

readme('should mark every shell block "example" or "ci"', () => {
  for (const f of README) {
    const [lang, mark, ...rest] = f.info.split(/\s+/);
    if (!SHELLS.includes(lang)) continue;
    assert.ok(
      (mark === 'example' || mark === 'ci') && rest.length === 0,
      `README.md:${f.line}: "${f.info}": expected "${lang} example" or "${lang} ci"`,
    );
  }
});

readme('should hold in a "ci" block only npm scripts that CI runs', () => {
  const ci = ciScripts(read, SCRIPTS);
  assert.ok(ci.has('test') && ci.has('build'), `CI runs: ${[...ci].join(' ')}`);
  const marked = README.filter((f) => f.info.split(/\s+/)[1] === 'ci');
  assert.ok(marked.length > 0, 'a "ci" block');
  for (const f of marked) {
    for (const l of f.body) {
      const command = l.replace(/\s+#.*$/, '').trim();
      if (command === '') continue;
      const m = /^npm (?:test|run ([\w:-]+))$/.exec(command);
      assert.ok(m, `README.md:${f.line}: "${command}": a "ci" block holds only "npm test" or "npm run SCRIPT"`);
      const name = m![1] ?? 'test';
      assert.ok(SCRIPTS[name] !== undefined, `README.md:${f.line}: no npm script "${name}" in package.json`);
      assert.ok(ci.has(name), `README.md:${f.line}: CI (.ci/run and what it runs) never runs "npm run ${name}"; mark the block "example"`);
    }
  }
});

readme('should find the fences and the scripts CI runs :: fences, ciScripts', () => {
  assert.equal(fences('a\n```sh ci\nnpm test\n```\n~~~yaml\nx: 1\n```\n~~~\n'), [
    { line: 2, info: 'sh ci', body: ['npm test'] },
    { line: 5, info: 'yaml', body: ['x: 1', '```'] },
  ]);
  const files: Record<string, string> = { '.ci/run': 'npm test\n', 'setup.sh': '# for "npm run demo" too\nnpm run --silent build # and\n' };
  const scripts = { test: 'npm run --silent setup && npm run lint', setup: 'bash setup.sh', build: 'tsc', lint: 'biome', demo: 'x' };
  assert.equal([...ciScripts((f) => files[f], scripts)].sort(), ['build', 'lint', 'setup', 'test']);
});

readme.run();

// ---------------------------------------------------------------- Kubernetes manifest

const kube = suite('docs/kubernetes/*.yaml');

kube('should be shown in docs/kubernetes.md as it is', () => {
  const yaml = read('docs/kubernetes/pod.yaml');
  assert.ok(
    fences(read('docs/kubernetes.md')).some((f) => f.info === 'yaml' && `${f.body.join('\n')}\n` === yaml),
    'docs/kubernetes.md: no yaml block equal to docs/kubernetes/pod.yaml',
  );
});

kube('should hold placeholders for the keys and the endpoint, and no key (pod.yaml, deployment.yaml, statefulset.yaml)', () => {
  for (const file of ['pod.yaml', 'deployment.yaml', 'statefulset.yaml']) {
    const yaml = read(`docs/kubernetes/${file}`);
    for (const line of [
      'PrivateKey = REPLACE_WITH_PRIVATE_KEY',
      'PublicKey = REPLACE_WITH_PEER_PUBLIC_KEY',
      'Endpoint = REPLACE_WITH_PEER_ENDPOINT',
    ]) {
      assert.match(yaml, line, file);
    }
    assert.not.match(yaml, /[A-Za-z0-9+/]{42,43}=/, `${file}: base64 of 32 bytes`);
  }
});

kube('should show the part of statefulset.yaml that docs/kubernetes.md quotes as it is there', () => {
  const yaml = read('docs/kubernetes/statefulset.yaml');
  const quoted = fences(read('docs/kubernetes.md')).filter((f) => f.info === 'yaml' && f.body.some((l) => l.includes('subPathExpr')));
  assert.is(quoted.length, 1, 'docs/kubernetes.md: one yaml block with subPathExpr');
  assert.ok(yaml.includes(`${quoted[0].body.join('\n')}\n`), 'docs/kubernetes.md: the subPathExpr block is not a part of statefulset.yaml');
});

kube.run();
