// Helpers for tests with the payload codec on: a keys file, clients and workers with the codec, and the history
// as the server stores it (ciphertext) next to the same history decoded with the keys.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { CodecKeyRing, EncryptionCodec, ENCRYPTED_ENCODING } from '../../src/codec';

export interface TestKey {
  id: string;
  key: Buffer;
  createdAt: string;
}

export const testKey = (id: string, fill: number, createdAt: string): TestKey => ({ id, key: Buffer.alloc(32, fill), createdAt });

/** Writes a keys file (mode 0600) in `dir` and returns its path and the ring it holds. */
export function writeKeysFile(dir: string, name: string, keys: TestKey[]): { path: string; ring: CodecKeyRing } {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64'), createdAt: k.createdAt })) }), { mode: 0o600 });
  return { path, ring: new CodecKeyRing(keys) };
}

export function codecClient(base: Client, ring: CodecKeyRing): Client {
  return new Client({ connection: base.connection, namespace: base.options.namespace, dataConverter: { payloadCodecs: [new EncryptionCodec(ring)] } });
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function payloadsIn(node: unknown, out: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(node)) for (const n of node) payloadsIn(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object)) out.push(o as JsonPayload);
    else for (const v of Object.values(o)) payloadsIn(v, out);
  }
  return out;
}

const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

/** The raw history as the server stores it (no codec), as JSON. */
export async function rawHistoryJson(client: Client, workflowId: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory()));
}

/** Payload encodings and key ids of the raw history, e.g. to count encrypted payloads. */
export function payloadEncodings(history: unknown): Array<{ encoding: string; keyId?: string }> {
  return payloadsIn(history).map((p) => ({ encoding: text(p.metadata!.encoding), ...(p.metadata!['encryption-key-id'] ? { keyId: text(p.metadata!['encryption-key-id']) } : {}) }));
}

/** Every encrypted payload of the raw history decoded with `ring`, as text (the positive control). */
export async function decodedPayloadTexts(history: unknown, ring: CodecKeyRing): Promise<string[]> {
  const codec = new EncryptionCodec(ring);
  const encrypted = payloadsIn(history).filter((p) => text(p.metadata!.encoding) === ENCRYPTED_ENCODING);
  const wire: Payload[] = encrypted.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  }));
  return (await codec.decode(wire)).map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
}
