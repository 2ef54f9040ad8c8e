// WireGuard keys as text: base64 of 32 bytes. No crypto here: the config's
// checks run on every container start, and loading Node's crypto module
// would lengthen each one (keys.ts has what needs it; the cost is in the
// README's Performance section).

/** Decodes a key; undefined unless it is canonical base64 of exactly 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
