// Temporal PayloadCodec: each payload (its metadata and data, as a protobuf) is compressed with brotli when that
// makes it smaller, then sealed with AES-256-GCM under the key ring's newest key. The key id and the compression
// travel in plain metadata and are bound to the ciphertext as additional authenticated data.
// Payloads that are not ours (written before the codec was on) pass through decode unchanged.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CODEC_KEYS_FILE_VARIABLE, type CodecKeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const COMPRESSION_METADATA = 'compression';
const CIPHER = 'AES-256-GCM';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Below this size brotli's framing outweighs what it saves. */
const COMPRESS_FROM_BYTES = 64;

const text = (s: string) => Buffer.from(s, 'utf8');
const metaText = (p: Payload, key: string) => (p.metadata?.[key] ? Buffer.from(p.metadata[key]).toString('utf8') : undefined);

/** A decode that cannot succeed here: names the key id (never a key) and what to do. */
export class CodecDecodeError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'CodecDecodeError';
  }
}

export function isEncryptedPayload(p: Payload): boolean {
  return metaText(p, 'encoding') === ENCRYPTED_ENCODING;
}

function aad(keyId: string, compression: string): Buffer {
  return text(`cvmflow-codec/v1 ${CIPHER} key=${keyId} compression=${compression}`);
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: CodecKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encodeOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncryptedPayload(p) ? this.decodeOne(p) : p));
  }

  encodeOne(p: Payload): Payload {
    const plain = Buffer.from(temporal.api.common.v1.Payload.encode(p).finish());
    let body = plain;
    let compression = 'none';
    if (plain.length >= COMPRESS_FROM_BYTES) {
      // Quality 4 and a window fitted to the payload: most of brotli's gain at a fraction of its default cost.
      const window = Math.min(22, Math.max(16, Math.ceil(Math.log2(plain.length + 1))));
      const packed = brotliCompressSync(plain, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_LGWIN]: window, [zlib.BROTLI_PARAM_SIZE_HINT]: plain.length } });
      if (packed.length < plain.length) {
        body = packed;
        compression = 'br';
      }
    }
    const keyId = this.ring.current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring.key(keyId)!, nonce);
    cipher.setAAD(aad(keyId, compression));
    const sealed = Buffer.concat([nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(keyId), [CIPHER_METADATA]: text(CIPHER), [COMPRESSION_METADATA]: text(compression) },
      data: sealed,
    };
  }

  decodeOne(p: Payload): Payload {
    const keyId = metaText(p, KEY_ID_METADATA);
    if (!keyId) throw new CodecDecodeError(`an encrypted payload carries no ${KEY_ID_METADATA}: it was not written by cvmflow's codec`);
    const cipherName = metaText(p, CIPHER_METADATA) ?? CIPHER;
    if (cipherName !== CIPHER) throw new CodecDecodeError(`payload cipher ${cipherName} is not supported (expected ${CIPHER})`, keyId);
    const key = this.ring.key(keyId);
    if (!key) {
      throw new CodecDecodeError(
        `payload was encrypted with codec key "${keyId}", which is not in ${CODEC_KEYS_FILE_VARIABLE} (it has ${this.ring.ids.map((i) => `"${i}"`).join(', ')}): add key "${keyId}" back to the keys file to read it`,
        keyId,
      );
    }
    const compression = metaText(p, COMPRESSION_METADATA) ?? 'none';
    const data = Buffer.from(p.data ?? new Uint8Array());
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new CodecDecodeError(`encrypted payload (key "${keyId}") is truncated`, keyId);
    let body: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAAD(aad(keyId, compression));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      body = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecDecodeError(`encrypted payload does not authenticate under codec key "${keyId}": the payload was altered, or the keys file holds a different key under that id`, keyId);
    }
    if (compression === 'br') body = brotliDecompressSync(body);
    else if (compression !== 'none') throw new CodecDecodeError(`payload compression ${compression} is not supported`, keyId);
    const inner = temporal.api.common.v1.Payload.decode(body);
    return { metadata: inner.metadata ?? {}, data: inner.data ?? new Uint8Array() };
  }
}

/**
 * With the codec off (no keys file): nothing is encrypted, and an encrypted payload met anyway fails with a
 * message naming its key id, instead of the SDK's "unknown encoding".
 */
export class NoKeysCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const p of payloads) {
      if (!isEncryptedPayload(p)) continue;
      const keyId = metaText(p, KEY_ID_METADATA) ?? '(none)';
      throw new CodecDecodeError(`payload was encrypted with codec key "${keyId}", but no ${CODEC_KEYS_FILE_VARIABLE} is configured: set it to a keys file holding key "${keyId}"`, keyId);
    }
    return payloads;
  }
}

/** The codec for a key ring, or the pass-through one when the codec is off. */
export function createPayloadCodec(ring: CodecKeyRing | undefined): PayloadCodec {
  return ring ? new EncryptionCodec(ring) : new NoKeysCodec();
}

/** The `dataConverter` option for a Temporal Client or Worker. */
export function codecDataConverter(ring: CodecKeyRing | undefined): { payloadCodecs: PayloadCodec[] } {
  return { payloadCodecs: [createPayloadCodec(ring)] };
}
