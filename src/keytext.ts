// WireGuard keys as text: base64 of 32 bytes. No crypto here: the config's
// checks run on every container start, and Node's crypto module alone adds
// about 10 ms to one (keys.ts has what needs it).

/** Decodes a key; undefined unless it is canonical base64 of exactly 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
