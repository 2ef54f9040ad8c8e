// The hook's program, dist/wireguard4netns-hook.js, which the hook JSON's
// dist/wireguard4netns-hook (loader.ts) runs with the state on stdin. A
// bundle of its own: it is on every container start's path, and compiling
// the command line's code as well (yargs and the rest, two thirds of
// dist/wireguard4netns) made each start slower.
import { exitWith } from '../src/errors.js';
import { runHook } from '../src/hook.js';

exitWith(runHook());
