// Entry point of dist/wireguard4netns, and its one error boundary.
import { runCli } from './cli.js';
import { describe } from './errors.js';

runCli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`wireguard4netns: ${describe(err)}\n`);
  process.exitCode = 1;
});
