// Entry point of dist/wireguard4netns-netavark, the netavark plugin that
// `wireguard4netns install` puts in a netavark_plugin_dirs folder under the
// driver's name. Its one error boundary prints {"error": "..."} (one line)
// on stdout and exits 1, as plugin-API.md asks; netavark shows the message
// to the podman user. Nothing goes to stderr, which netavark passes on.
import { readFileSync } from 'node:fs';
import { exitWith, Failure } from '../errors.js';
import { API_VERSION, type Network, type PluginExec, parseInput } from './api.js';
import { create } from './create.js';
import { setup, teardown } from './setup.js';

declare const VERSION: string;

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const stdin = () => readFileSync(0, 'utf8');

function netnsArg(command: string, netns: string | undefined): string {
  if (!netns?.startsWith('/')) throw new Failure(`${command}: expected the network namespace's path as its argument`);
  return netns;
}

async function main([command, netns]: string[]): Promise<void> {
  const exec = ['container_id', 'container_name', 'network', 'network_options'];
  switch (command) {
    case undefined:
    case 'info':
      return void print({ version: VERSION, api_version: API_VERSION });
    case 'create':
      return void print(create(parseInput<Network>(stdin(), command, ['name', 'id', 'driver'])));
    case 'setup':
      return void print(await setup(netnsArg(command, netns), parseInput<PluginExec>(stdin(), command, exec)));
    case 'teardown':
      parseInput<PluginExec>(stdin(), command, exec);
      return teardown(netnsArg(command, netns));
    default:
      throw new Failure(`unknown subcommand ${JSON.stringify(command)}; expected info, create, setup or teardown`);
  }
}

exitWith(main(process.argv.slice(2)), (message) => print({ error: message }));
