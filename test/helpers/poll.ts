// Waiting for what the system does on its own time (a daemon's end, a
// folder's removal, a socket), bounded: the caller asserts after, so that a
// failure names what is still there.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Checks ok every intervalMs until it holds or ms have passed; whether it held. */
export async function eventually(ok: () => boolean | Promise<boolean>, ms: number, intervalMs = 50): Promise<boolean> {
  for (const deadline = Date.now() + ms; ; await sleep(intervalMs)) {
    if (await ok()) return true;
    if (Date.now() > deadline) return false;
  }
}
