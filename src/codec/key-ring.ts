// The payload codec's key ring, read from CVMFLOW_CODEC_KEYS_FILE: every key decodes, the newest encodes.
// Key material never appears in an error, a log line or an inspected object.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

export const CODEC_KEYS_FILE_VARIABLE = 'CVMFLOW_CODEC_KEYS_FILE';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

const keyEntrySchema = z.object(
  {
    id: z.string({ message: 'expected a key id (text)' }).regex(KEY_ID, 'expected a key id of 1-64 letters, digits, . _ -'),
    // The message never repeats the value: it is key material.
    key: z
      .string({ message: 'expected 32 bytes of base64 (e.g. from `cvmflow codec-keys add`)' })
      .refine((s) => BASE64.test(s.trim()) && Buffer.from(s.trim(), 'base64').length === 32, 'expected exactly 32 bytes (AES-256) in base64, e.g. from `cvmflow codec-keys add` or `openssl rand -base64 32`'),
    createdAt: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time such as 2025-01-31T00:00:00Z (the newest key encodes)' }),
  },
  { message: 'expected an object { "id", "key", "createdAt" }' },
);

const keysFileSchema = z
  .object({ keys: z.array(keyEntrySchema, { message: 'expected a list of keys' }).min(1, 'expected at least one key') }, { message: 'expected an object { "keys": [...] }' })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.keys.forEach((k, i) => {
      if (seen.has(k.id)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `key id "${k.id}" appears twice: every key needs its own id` });
      seen.add(k.id);
    });
    const newest = Math.max(...f.keys.map((k) => Date.parse(k.createdAt)));
    const tied = f.keys.filter((k) => Date.parse(k.createdAt) === newest);
    if (tied.length > 1) ctx.addIssue({ code: 'custom', path: ['keys'], message: `keys ${tied.map((k) => `"${k.id}"`).join(' and ')} are both the newest (same createdAt): give the one that should encode a later time` });
  });

export type CodecKeysFile = z.input<typeof keysFileSchema>;

export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/** Key ids with their 32-byte keys; `current` is the newest and the one that encrypts. */
export class CodecKeyRing {
  readonly current: string;
  readonly ids: readonly string[];
  readonly #keys: Map<string, Buffer>;

  constructor(entries: Array<{ id: string; key: Buffer; createdAt: string }>) {
    if (entries.length === 0) throw new CodecKeyError('a codec key ring needs at least one key');
    for (const e of entries) if (e.key.length !== 32) throw new CodecKeyError(`codec key "${e.id}" must be 32 bytes`);
    const sorted = [...entries].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    this.current = sorted[sorted.length - 1]!.id;
    this.ids = sorted.map((e) => e.id);
    this.#keys = new Map(sorted.map((e) => [e.id, Buffer.from(e.key)]));
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { current: string; ids: readonly string[] } {
    return { current: this.current, ids: this.ids };
  }

  [inspect.custom](): string {
    return `CodecKeyRing { current: ${this.current}, ids: [${this.ids.join(', ')}] }`;
  }
}

/** Where in the text a JSON error is, without quoting the text (it holds keys). */
function jsonError(text: string, err: unknown): string {
  const m = /position (\d+)/.exec((err as Error).message);
  if (!m) return 'not valid JSON';
  const line = text.slice(0, Number(m[1])).split('\n').length;
  return `not valid JSON (line ${line})`;
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${path || '(file)'}: ${issue.message}`;
}

/** Parses and validates the keys file's text; each problem names the field, never a key. */
export function parseCodecKeys(text: string, source = CODEC_KEYS_FILE_VARIABLE): CodecKeyRing {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CodecKeyError(`${source}: ${jsonError(text, err)}: expected { "keys": [ { "id": "2025-01", "key": "<base64 of 32 bytes>", "createdAt": "2025-01-01T00:00:00Z" } ] }`);
  }
  const parsed = keysFileSchema.safeParse(raw);
  if (!parsed.success) throw new CodecKeyError(`${source}: ${parsed.error.issues.map(describe).join('; ')}`);
  return new CodecKeyRing(parsed.data.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key.trim(), 'base64'), createdAt: k.createdAt })));
}

export function loadCodecKeyRing(path: string): CodecKeyRing {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CodecKeyError(`${CODEC_KEYS_FILE_VARIABLE}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): point it at a readable keys file (create one with \`cvmflow codec-keys add --file ${path}\`)`);
  }
  return parseCodecKeys(text, `${CODEC_KEYS_FILE_VARIABLE} ${path}`);
}

/** The ring named by CVMFLOW_CODEC_KEYS_FILE in `env`, or undefined when the codec is off (unset or empty). */
export function codecKeyRingFromEnv(env: Record<string, string | undefined>): CodecKeyRing | undefined {
  const path = env[CODEC_KEYS_FILE_VARIABLE];
  return path ? loadCodecKeyRing(path) : undefined;
}
