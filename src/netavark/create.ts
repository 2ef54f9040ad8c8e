// "create": podman network create -d wireguard4netns -o conf=FILE NAME.
// The config is read and checked in full, so a network that could never
// start a container is refused with the config's own file:line:field error
// and never made.
import { defaultOwners, loadConfig } from '../config/read.js';
import { Failure } from '../errors.js';
import { DRIVER, type Network } from './api.js';
import { parseOptions } from './options.js';

export function create(network: Network): Network {
  if (network.driver !== DRIVER) throw new Failure(`network ${network.name}: driver ${network.driver}: expected ${DRIVER}`);
  const options = parseOptions(network.name, network.options);
  if (network.subnets?.length) {
    throw new Failure(`network ${network.name}: --subnet is not used; the container's addresses are the config's Address =`);
  }
  loadConfig(options.conf, { owners: defaultOwners() });
  // No aardvark-dns: the container's name servers are the config's DNS =.
  return { ...network, dns_enabled: false };
}
