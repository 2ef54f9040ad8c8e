// The command line. Every command returns normally or throws; main.ts is
// the one place that turns an error into a line on stderr and an exit code.

import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { exampleConfig } from '../config/example.js';
import { defaultOwners, loadConfig } from '../config/read.js';
import { Failure } from '../errors.js';
import { generatePresharedKey, generatePrivateKey, publicKeyOf } from '../keys.js';
import { decodeKey } from '../keytext.js';
import { sweep } from '../tunnel/daemon.js';
import { awaitOwnNamespace, resolveTarget } from '../tunnel/namespaces.js';
import { reload } from '../tunnel/reload.js';
import { down, findTunnel, up } from '../tunnel/up.js';
import { defaultHooksDir, defaultPluginDir, installHook, installPlugin, slowNodeNote } from './install.js';
import { status } from './status.js';

declare const VERSION: string;

const TARGET =
  'a process id (its network namespace, for as long as a process lives in it) or the path of a network namespace (until "down")';

export async function runCli(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('wireguard4netns')
    .usage(
      '$0 <command>\n\nWireGuard for rootless containers and unprivileged network namespaces.\n\n' +
        "The original wireguard4netns's form works too: $0 [--tmpdir TMPDIR] ns_pid interface wireguard.conf",
    )
    .command(
      'up <target> <config>',
      'bring a WireGuard interface up in a network namespace',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: TARGET })
          .positional('config', { type: 'string', demandOption: true, describe: 'absolute path of a wg-quick style config' })
          .option('interface', { alias: 'i', type: 'string', default: 'wg0', describe: 'interface name' })
          .option('userns', { type: 'string', describe: 'user namespace owning the target (found from its processes by default)' })
          .option('resolv-conf', { type: 'string', describe: 'file to write DNS= into (the namespace has no resolv.conf of its own)' })
          .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: "log every event of the daemon to the tunnel's log" })
          .example('$0 up $(pgrep -n -f my-sandbox) ~/wg/edge.conf', 'tunnel for a process started with unshare -rn')
          .example('$0 up /run/user/1000/netns/ci ~/wg/edge.conf --userns /proc/4242/ns/user', 'a bind-mounted namespace'),
      async (a) => {
        const config = loadConfig(a.config, { owners: defaultOwners() });
        if (/^\d+$/.test(a.target)) await awaitOwnNamespace(Number(a.target));
        const target = resolveTarget(a.target, a.userns);
        if (config.dns.length > 0 && !a['resolv-conf'])
          process.stderr.write('wireguard4netns: note: DNS= ignored; pass --resolv-conf FILE to write it\n');
        const { dir, state, joined } = await up(target, config, { iface: a.interface, resolvConf: a['resolv-conf'], verbose: a.verbose });
        console.log(
          `${state.iface} ${joined ? 'was already up' : 'up'} in ${state.netns} (daemon pid ${state.daemonPid}, state in ${dir})`,
        );
      },
    )
    .command(
      'down <target>',
      'take a WireGuard interface down',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: TARGET })
          .option('interface', { alias: 'i', type: 'string', default: 'wg0', describe: 'interface name' })
          .option('userns', { type: 'string', describe: 'user namespace owning the target' }),
      async (a) => {
        const target = resolveTarget(a.target, a.userns);
        const dir = findTunnel(target, a.interface) ?? missing(a.interface, a.target);
        await down(dir);
        console.log(`${a.interface} down in ${target.netns}`);
      },
    )
    .command(
      'status [filter]',
      "list this user's tunnels: daemon, interface, addresses, and each peer's endpoint, latest handshake, transfer and allowed IPs",
      (y) =>
        y
          .positional('filter', {
            type: 'string',
            describe: 'a container id prefix, or a process id (the tunnel of its network namespace)',
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'print a JSON array (handshakes in unix seconds, 0: never; sizes in bytes)',
          })
          .example('$0 status', 'every tunnel of this user')
          .example('$0 status 3f2a9c', 'the tunnel of the container whose id starts with 3f2a9c')
          .example('$0 status $(pgrep -n -f my-sandbox) --json', "the tunnel of a process's network namespace, as JSON"),
      async (a) => {
        console.log(await status({ filter: a.filter, json: a.json }));
      },
    )
    .command(
      'prune',
      'remove what killed daemons left: tunnel folders no daemon holds (a daemon that ends removes its own, and each new daemon sweeps the others once ready)',
      {},
      async () => {
        for (const dir of await sweep()) console.log(`removed ${dir}`);
      },
    )
    .command(
      'reload <tunnel> <config>',
      'apply a changed config to a running tunnel without restarting it: keys, peers, allowed IPs and their routes, addresses, MTU',
      (y) =>
        y
          .positional('tunnel', { type: 'string', demandOption: true, describe: 'a container id prefix, or a process id in the namespace' })
          .positional('config', { type: 'string', demandOption: true, describe: 'absolute path of the new config' })
          .example('$0 reload 3f2a9c ~/wg/edge.conf', 'the tunnel of the container whose id starts with 3f2a9c'),
      async (a) => {
        console.log(await reload(a.tunnel, a.config));
      },
    )
    .command(
      'install',
      'write the OCI hook JSON that makes podman run wireguard4netns, and the netavark plugin for "podman network create -d wireguard4netns"',
      (y) =>
        y
          .option('hooks-dir', { type: 'string', default: defaultHooksDir(), describe: 'directory podman reads hooks from' })
          .option('plugin-dir', {
            type: 'string',
            default: defaultPluginDir(),
            describe: 'directory netavark (podman 5) reads plugins from',
          })
          .option('pods', {
            type: 'boolean',
            default: false,
            describe:
              'a hook for CRI-O or containerd serving Kubernetes pods: pods may name only container:PATH configs, never a file of the node',
          }),
      (a) => {
        for (const { file, advice } of [installHook(a['hooks-dir'], a.pods), installPlugin(a['plugin-dir'])])
          console.log(`wrote ${file}; ${advice}`);
        const slow = slowNodeNote(process.config.variables as unknown as Record<string, unknown>, process.execPath);
        if (slow) process.stderr.write(`wireguard4netns: note: ${slow}\n`);
      },
    )
    .command('genkey', 'print a new private key (as "wg genkey")', {}, () => console.log(generatePrivateKey().toString('base64')))
    .command('pubkey', 'read a private key on stdin, print its public key (as "wg pubkey")', {}, () => {
      const key = decodeKey(readFileSync(0, 'utf8').trim()) ?? missingKey();
      console.log(publicKeyOf(key).toString('base64'));
    })
    .command('genpsk', 'print a new preshared key (as "wg genpsk")', {}, () => console.log(generatePresharedKey().toString('base64')))
    .command('example', 'print a commented client config with a new private key', {}, () => {
      process.stdout.write(exampleConfig(generatePrivateKey().toString('base64')));
    })
    .completion('completion', 'print a bash completion script: wireguard4netns completion >> ~/.bashrc')
    .demandCommand(1, 'expected a command')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .fail((msg, err) => {
      throw err ?? new Failure(`${msg}; see "wireguard4netns --help"`);
    })
    .parseAsync();
}

function missingKey(): never {
  throw new Failure('stdin: expected a private key, base64 of exactly 32 bytes (as "wg genkey" prints)');
}

function missing(iface: string, target: string): never {
  throw new Failure(`no tunnel ${iface} in ${target}`);
}
