// Entry point of dist/wireguard4netns-hook, what the OCI hook JSON runs. It
// loads the hook's code (dist/wireguard4netns-hook.js, from hooks/main.ts)
// with a V8 code cache, so that a container start does not parse and
// compile it again (what that saves: docs/performance.md).
// The cache is made by the first container start and kept beside the user's runtime
// base, which only that user (or root) can write; V8 rejects a cache made from other source or another V8, and the
// code is then compiled as usual and the cache made anew. Nothing here can
// fail the hook: without a cache it is only slower.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { runtimeBase } from '../src/paths.js';

const code = join(__dirname, 'wireguard4netns-hook.js');
const source = readFileSync(code, 'utf8');
const cache = cachePath();
const cachedData = cache ? readOwn(cache) : undefined;
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: code, cachedData });
const hook = { exports: {} as { cacheWorthy?: boolean } };
if (cache && (!cachedData || script.cachedDataRejected)) process.once('exit', () => hook.exports.cacheWorthy && save(cache));
script.runInThisContext()(hook.exports, require, hook, code, __dirname);

/**
 * Beside the runtime base, in a directory only this user or root can write;
 * none in a shared tmp (os.tmpdir()'s rule, without loading node:os).
 */
function cachePath(): string | undefined {
  try {
    const base = runtimeBase();
    return base.startsWith(process.env.TMPDIR || '/tmp') ? undefined : `${base}-hook.cache`;
  } catch {
    return undefined;
  }
}

/** The cache, if it is a regular file of ours that nobody else may write. */
function readOwn(path: string): Buffer | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.uid !== process.geteuid!() || (st.mode & 0o022) !== 0 || (statSync(dirname(path)).mode & 0o022) !== 0)
      return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function save(path: string): void {
  try {
    const tmp = `${path}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {}
}
