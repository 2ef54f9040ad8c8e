// Entry point of dist/wireguard4netns, and its one error boundary. The hook
// is on every container start's path: it loads only what it uses (no yargs).
import { describe } from './errors.js';

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === 'hook') return (await import('./hook.js')).runHook();
  return (await import('./cli.js')).runCli(argv);
}

// Exit explicitly: a DNS lookup that timed out cannot be cancelled and
// would keep the process, and so the container start, waiting.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`wireguard4netns: ${describe(err)}\n`);
    process.exit(1);
  },
);
