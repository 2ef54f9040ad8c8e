// The original wireguard4netns's command line, which Sinfonia tier3 (its
// one known user) runs, accepted as it is:
//
//   wireguard4netns [--tmpdir TMPDIR] ns_pid interface wireguard.conf
//
// Same meaning: a TUN named interface in ns_pid's network namespace, a
// daemon with the config's keys, peers and listen port, and its UAPI socket
// at TMPDIR/interface.sock (TMPDIR defaults to "."; the config may be "-",
// stdin). The caller sets the link up, its addresses, routes and DNS: an
// Address or DNS in the config is accepted and left alone. Exit 0 once the
// peers are configured. The daemon ends when that socket file is deleted,
// on SIGTERM, or when the namespace's last process exits.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultOwners, loadConfig } from '../config/read.js';
import { Failure } from '../errors.js';
import { awaitOwnNamespace, resolveTarget } from '../tunnel/namespaces.js';
import { up } from '../tunnel/up.js';

export interface SeedArgs {
  tmpdir: string;
  pid: number;
  iface: string;
  config: string;
}

/** The original's arguments, when argv is in its form (a process id first; none of our commands is a number). */
export function parseSeedArgs(argv: string[]): SeedArgs | undefined {
  let tmpdir = '.';
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tmpdir' && i + 1 < argv.length) tmpdir = argv[++i];
    else if (a.startsWith('--tmpdir=')) tmpdir = a.slice('--tmpdir='.length);
    else if (a.startsWith('-') && a !== '-') return undefined;
    else positional.push(a);
  }
  if (positional.length !== 3 || !/^\d+$/.test(positional[0])) return undefined;
  return { tmpdir, pid: Number(positional[0]), iface: positional[1], config: positional[2] };
}

/** Linux's rule for an interface name. */
function checkInterfaceName(name: string): void {
  if (!/^[^\s/:]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new Failure(`interface ${JSON.stringify(name)}: expected a name of 1 to 15 characters without spaces, "/" or ":"`);
  }
}

export async function runSeed(a: SeedArgs): Promise<void> {
  checkInterfaceName(a.iface);
  const tmpdir = resolve(a.tmpdir);
  let isDir = false;
  try {
    isDir = statSync(tmpdir).isDirectory();
  } catch {}
  if (!isDir) throw new Failure(`--tmpdir ${tmpdir}: not a directory; expected where the UAPI socket ${a.iface}.sock goes`);
  const config = loadConfig(a.config, { owners: defaultOwners() }, { addressRequired: false });
  await awaitOwnNamespace(a.pid);
  await up(resolveTarget(String(a.pid)), config, { iface: a.iface, socketDir: tmpdir, linkByCaller: true });
}
