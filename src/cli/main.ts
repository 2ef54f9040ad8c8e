// Entry point of dist/wireguard4netns, the command line (the hook JSON runs
// dist/wireguard4netns-hook, hooks/main.ts, instead). The original tool's
// form (seed.ts) is told apart first, without loading yargs.
import { exitWith } from '../errors.js';

async function main(argv: string[]): Promise<void> {
  const seed = (await import('./seed.js')).parseSeedArgs(argv);
  if (seed) return (await import('./seed.js')).runSeed(seed);
  return (await import('./commands.js')).runCli(argv);
}

exitWith(main(process.argv.slice(2)));
