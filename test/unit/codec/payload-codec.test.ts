// The payload codec on its own: round trips, compression only when it helps, the key ring's rotation, a
// missing key named by id, tampering refused, and a keys file validated without echoing key material.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { CodecDecodeError, CodecKeyError, CodecKeyRing, createPayloadCodec, EncryptionCodec, ENCRYPTED_ENCODING, loadCodecKeyRing, NoKeysCodec, parseCodecKeys } from '../../../src/codec';
import { addCodecKey } from '../../../src/codec/keys-file';

const key = (fill: number) => Buffer.alloc(32, fill);
const ring = (...entries: Array<[string, number, string]>) => new CodecKeyRing(entries.map(([id, fill, createdAt]) => ({ id, key: key(fill), createdAt })));
const meta = (p: Payload, k: string) => Buffer.from(p.metadata![k]!).toString();
const COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n    environment:\n      UPSTREAM: 10.20.30.40\n    labels:\n      team: payments\n'.repeat(4);

test('a JSON payload round-trips; the wire form is ciphertext with the key id in metadata', async () => {
  const codec = new EncryptionCodec(ring(['k1', 1, '2025-01-01T00:00:00Z']));
  const original = defaultPayloadConverter.toPayload({ composeFile: COMPOSE, ip: '10.20.30.40' });
  const [wire] = await codec.encode([original]);
  expect(meta(wire!, 'encoding')).toBe(ENCRYPTED_ENCODING);
  expect(meta(wire!, 'encryption-key-id')).toBe('k1');
  expect(meta(wire!, 'encryption-cipher')).toBe('AES-256-GCM');
  const wireText = Buffer.from(wire!.data!).toString('latin1');
  for (const plain of ['nginx', '10.20.30.40', 'payments', 'json/plain']) expect(wireText).not.toContain(plain);
  const [back] = await codec.decode([wire!]);
  expect(meta(back!, 'encoding')).toBe('json/plain');
  expect(defaultPayloadConverter.fromPayload(back!)).toEqual({ composeFile: COMPOSE, ip: '10.20.30.40' });
});

test('compresses before encrypting only when that is smaller', async () => {
  const codec = new EncryptionCodec(ring(['k1', 1, '2025-01-01T00:00:00Z']));
  const big = defaultPayloadConverter.toPayload(COMPOSE.repeat(10));
  const [packed] = await codec.encode([big]);
  expect(meta(packed!, 'compression')).toBe('br');
  expect(packed!.data!.length).toBeLessThan(big.data!.length / 3);
  const random = defaultPayloadConverter.toPayload(new Uint8Array(randomBytes(2000)));
  const [plain] = await codec.encode([random]);
  expect(meta(plain!, 'compression')).toBe('none');
  const [tiny] = await codec.encode([defaultPayloadConverter.toPayload('ok')]);
  expect(meta(tiny!, 'compression')).toBe('none');
  const decoded = await codec.decode([packed!, plain!, tiny!]);
  expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([COMPOSE.repeat(10), random.data, 'ok']);
});

test('rotation: the newest key encodes, an older key still decodes what it wrote', async () => {
  const before = new EncryptionCodec(ring(['2025-01', 1, '2025-01-01T00:00:00Z']));
  const [old] = await before.encode([defaultPayloadConverter.toPayload('written in January')]);
  const after = new EncryptionCodec(ring(['2025-02', 2, '2025-02-01T00:00:00Z'], ['2025-01', 1, '2025-01-01T00:00:00Z']));
  const [fresh] = await after.encode([defaultPayloadConverter.toPayload('written in February')]);
  expect(meta(old!, 'encryption-key-id')).toBe('2025-01');
  expect(meta(fresh!, 'encryption-key-id')).toBe('2025-02');
  const both = await after.decode([old!, fresh!]);
  expect(both.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['written in January', 'written in February']);
  // The January-only ring cannot read February's payload, and says which key it lacks.
  await expect(before.decode([fresh!])).rejects.toThrow(/encrypted with codec key "2025-02", which is not in CVMFLOW_CODEC_KEYS_FILE \(it has "2025-01"\)/);
});

test('a missing key is named by id, never by its bytes; without keys the error names the id too', async () => {
  const writer = new EncryptionCodec(ring(['gone', 7, '2025-01-01T00:00:00Z']));
  const [wire] = await writer.encode([defaultPayloadConverter.toPayload('x')]);
  const err = (await new EncryptionCodec(ring(['other', 8, '2025-01-01T00:00:00Z'])).decode([wire!]).catch((e: unknown) => e)) as CodecDecodeError;
  expect(err).toBeInstanceOf(CodecDecodeError);
  expect(err.keyId).toBe('gone');
  for (const secret of [key(7).toString('base64'), key(8).toString('base64'), key(7).toString('hex')]) expect(err.message).not.toContain(secret);
  await expect(new NoKeysCodec().decode([wire!])).rejects.toThrow(/encrypted with codec key "gone", but no CVMFLOW_CODEC_KEYS_FILE is configured/);
  // Off: payloads pass through untouched both ways.
  const plain = defaultPayloadConverter.toPayload({ a: 1 });
  expect(await createPayloadCodec(undefined).encode([plain])).toEqual([plain]);
  expect(await createPayloadCodec(undefined).decode([plain])).toEqual([plain]);
});

test('plain payloads written before the codec was on still decode', async () => {
  const codec = new EncryptionCodec(ring(['k1', 1, '2025-01-01T00:00:00Z']));
  const plain = defaultPayloadConverter.toPayload({ before: true });
  expect(await codec.decode([plain])).toEqual([plain]);
});

test('a tampered payload, a swapped key id or a different key under the same id does not decode', async () => {
  const codec = new EncryptionCodec(ring(['k1', 1, '2025-01-01T00:00:00Z'], ['k2', 2, '2025-02-01T00:00:00Z']));
  const [wire] = await codec.encode([defaultPayloadConverter.toPayload('genuine')]);
  const flipped = Buffer.from(wire!.data!);
  flipped[20] ^= 1;
  await expect(codec.decode([{ ...wire!, data: flipped }])).rejects.toThrow(/does not authenticate under codec key "k2"/);
  await expect(codec.decode([{ ...wire!, metadata: { ...wire!.metadata, 'encryption-key-id': Buffer.from('k1') } }])).rejects.toThrow(/does not authenticate under codec key "k1"/);
  await expect(codec.decode([{ ...wire!, metadata: { ...wire!.metadata, compression: Buffer.from('br') } }])).rejects.toThrow(/does not authenticate/);
  const impostor = new EncryptionCodec(ring(['k2', 9, '2025-02-01T00:00:00Z']));
  await expect(impostor.decode([wire!])).rejects.toThrow(/does not authenticate under codec key "k2"/);
});

describe('keys file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
  const b64 = (fill: number, bytes = 32) => Buffer.alloc(bytes, fill).toString('base64');

  test('the newest createdAt encodes, whatever the order in the file', () => {
    const r = parseCodecKeys(JSON.stringify({ keys: [{ id: 'new', key: b64(2), createdAt: '2025-06-01T00:00:00Z' }, { id: 'old', key: b64(1), createdAt: '2025-01-01T00:00:00Z' }] }));
    expect(r.current).toBe('new');
    expect(r.ids).toEqual(['old', 'new']);
    expect(r.key('old')).toEqual(Buffer.alloc(32, 1));
  });

  test('each problem names the field and never echoes a key', () => {
    const short = b64(3, 16);
    const problems = (doc: unknown) => {
      try {
        parseCodecKeys(typeof doc === 'string' ? doc : JSON.stringify(doc));
      } catch (err) {
        expect(err).toBeInstanceOf(CodecKeyError);
        return (err as Error).message;
      }
      throw new Error('expected a CodecKeyError');
    };
    const m = problems({ keys: [{ id: 'a', key: short, createdAt: '2025-01-01T00:00:00Z' }, { id: 'bad id!', key: b64(4), createdAt: 'yesterday' }] });
    expect(m).toMatch(/keys\[0\]\.key: expected exactly 32 bytes/);
    expect(m).toMatch(/keys\[1\]\.id: expected a key id/);
    expect(m).toMatch(/keys\[1\]\.createdAt: expected an ISO 8601 time/);
    expect(m).not.toContain(short);
    expect(m).not.toContain(b64(4));
    expect(problems({ keys: [] })).toMatch(/keys: expected at least one key/);
    expect(problems({ keys: [{ id: 'a', key: b64(1), createdAt: '2025-01-01T00:00:00Z' }, { id: 'a', key: b64(2), createdAt: '2025-02-01T00:00:00Z' }] })).toMatch(/keys\[1\]\.id: key id "a" appears twice/);
    expect(problems({ keys: [{ id: 'a', key: b64(1), createdAt: '2025-01-01T00:00:00Z' }, { id: 'b', key: b64(2), createdAt: '2025-01-01T00:00:00Z' }] })).toMatch(/keys "a" and "b" are both the newest/);
    const broken = `{"keys":[{"id":"a","key":"${b64(5)}",}]}`;
    const jm = problems(broken);
    expect(jm).toMatch(/not valid JSON \(line 1\)/);
    expect(jm).not.toContain(b64(5));
  });

  test('an unreadable file is one line naming the variable and the fix', () => {
    expect(() => loadCodecKeyRing(join(dir, 'missing.json'))).toThrow(/^CVMFLOW_CODEC_KEYS_FILE: cannot read .*missing\.json \(ENOENT\): point it at a readable keys file/);
  });

  test('codec-keys add creates the file 0600 and a later key becomes the one that encodes', () => {
    const file = join(dir, 'keys.json');
    expect(addCodecKey(file, { id: 'first', now: new Date('2025-01-01T00:00:00Z') })).toMatchObject({ id: 'first', keys: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    addCodecKey(file, { id: 'second', now: new Date('2025-02-01T00:00:00Z') });
    const r = loadCodecKeyRing(file);
    expect(r.current).toBe('second');
    expect(r.ids).toEqual(['first', 'second']);
    expect(() => addCodecKey(file, { id: 'second', now: new Date('2025-03-01T00:00:00Z') })).toThrow(/already exists/);
    expect(() => addCodecKey(file, { id: 'third', now: new Date('2025-01-15T00:00:00Z') })).toThrow(/would not be the newest/);
  });

  test('a key ring printed or serialised shows ids, not keys', () => {
    const r = ring(['k1', 0x41, '2025-01-01T00:00:00Z']);
    const shown = `${inspect(r)} ${JSON.stringify(r)} ${inspect({ nested: r }, { depth: 5 })}`;
    expect(shown).toContain('k1');
    expect(shown).not.toContain(key(0x41).toString('base64'));
    expect(shown).not.toContain('AAAA');
  });
});
