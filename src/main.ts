// Entry point of dist/wireguard4netns, the command line. The hook JSON runs
// dist/wireguard4netns-hook (hooks/main.ts) instead; "wireguard4netns hook"
// runs the same code, loaded lazily, without yargs; so does the original
// tool's command line (seed.ts).
import { exitWith } from './errors.js';

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === 'hook') return (await import('./hook.js')).runHook();
  const seed = (await import('./seed.js')).parseSeedArgs(argv);
  if (seed) return (await import('./seed.js')).runSeed(seed);
  return (await import('./cli.js')).runCli(argv);
}

exitWith(main(process.argv.slice(2)));
