// Writing the keys file: `cvmflow codec-keys add` appends a fresh random key that becomes the newest (the one
// that encrypts); older keys stay so runs written with them still decode. The file is created with mode 0600.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CodecKeyError, parseCodecKeys } from './key-ring';

export interface AddedKey {
  id: string;
  createdAt: string;
  keys: number;
}

/** Adds a new 32-byte key under `id` (default: the date and time) with createdAt `now`; returns what it wrote. */
export function addCodecKey(path: string, opts: { id?: string; now?: Date } = {}): AddedKey {
  const now = opts.now ?? new Date();
  const id = opts.id ?? now.toISOString().replace(/[:.]/g, '').replace(/\d{3}Z$/, 'Z');
  let keys: Array<{ id: string; key: string; createdAt: string }> = [];
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const ring = parseCodecKeys(text, path); // validates, and names a bad field before anything is written
    if (ring.key(id)) throw new CodecKeyError(`${path}: key id "${id}" already exists: choose another --id`);
    keys = (JSON.parse(text) as { keys: typeof keys }).keys;
    const newest = Math.max(...keys.map((k) => Date.parse(k.createdAt)));
    if (now.getTime() <= newest) throw new CodecKeyError(`${path}: the new key would not be the newest (a key has createdAt at or after ${now.toISOString()})`);
  }
  const createdAt = now.toISOString();
  keys.push({ id, key: randomBytes(32).toString('base64'), createdAt });
  const text = `${JSON.stringify({ keys }, null, 2)}\n`;
  parseCodecKeys(text, path); // the new entry too (its id) must be valid before the file is replaced
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { id, createdAt, keys: keys.length };
}
