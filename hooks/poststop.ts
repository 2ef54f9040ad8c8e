// poststop: the container is gone. Its daemon has usually ended by itself
// (it watches the namespace's processes); remove whatever is left, unless
// another container still uses the namespace.
import type { OciState } from '../src/oci.js';
import { release } from '../src/tunnel.js';

export async function poststop(state: OciState): Promise<void> {
  await release(state.id);
}
