// Byte helpers shared by the parsers: hex/base64 conversion, bounded reads, constant-shape comparisons.
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';

// crypto.hash (Node >= 20.12) digests in one call, without a Hash object per digest; older Nodes take createHash
const hashOnce = (nodeCrypto as Partial<Pick<typeof nodeCrypto, 'hash'>>).hash;

/** The digest of `data` with a node:crypto hash algorithm (sha256, sha384, ...). */
export function digest(algorithm: string, data: Uint8Array | string): Buffer {
  return hashOnce ? hashOnce(algorithm, data, 'buffer') : createHash(algorithm).update(data).digest();
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex of each part; parts that are views into one buffer (report fields) take one conversion of the span they cover, then string slices. */
export function hexOfParts(parts: readonly Uint8Array[]): string[] {
  const backing = parts[0]?.buffer;
  if (backing === undefined || !parts.every((p) => p.buffer === backing)) return parts.map(toHex);
  let start = Infinity;
  let end = 0;
  for (const p of parts) {
    start = Math.min(start, p.byteOffset);
    end = Math.max(end, p.byteOffset + p.byteLength);
  }
  const hex = Buffer.from(backing, start, end - start).toString('hex');
  return parts.map((p) => hex.slice(2 * (p.byteOffset - start), 2 * (p.byteOffset - start + p.byteLength)));
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return hashOnce ? hashOnce('sha256', bytes, 'hex') : createHash('sha256').update(bytes).digest('hex');
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && asBuffer(a).equals(asBuffer(b));
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function isHex(text: string): boolean {
  return HEX.test(text);
}

/** Strict hex decode (optional 0x prefix); throws on odd length or bad digits. */
export function fromHex(text: string): Buffer {
  const t = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!HEX.test(t)) throw new Error(`not a hex string: ${text.slice(0, 40)}`);
  return Buffer.from(t, 'hex');
}

/** Strict base64 / base64url decode: Buffer.from silently skips junk, so validate the alphabet first. */
export function fromBase64(text: string): Buffer {
  const t = text.replace(/\s+/g, '');
  if (!BASE64.test(t) || t.replace(/=+$/, '').length % 4 === 1) throw new Error(`not a base64 string: ${text.slice(0, 40)}`);
  return Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Little-endian reads with bounds checks, for the vendor report layouts. */
export class LeReader {
  constructor(readonly buf: Buffer) {}
  private need(off: number, len: number): void {
    if (off < 0 || off + len > this.buf.length) throw new Error(`truncated: need ${len} bytes at 0x${off.toString(16)}, have ${this.buf.length}`);
  }
  u8(off: number): number {
    this.need(off, 1);
    return this.buf[off]!;
  }
  u16(off: number): number {
    this.need(off, 2);
    return this.buf.readUInt16LE(off);
  }
  u32(off: number): number {
    this.need(off, 4);
    return this.buf.readUInt32LE(off);
  }
  u64(off: number): bigint {
    this.need(off, 8);
    return this.buf.readBigUInt64LE(off);
  }
  bytes(off: number, len: number): Buffer {
    this.need(off, len);
    return this.buf.subarray(off, off + len);
  }
}

/** Fixed-width hex of a uint64, the way reports and policies print TCB values. */
export function u64Hex(value: bigint): string {
  return `0x${value.toString(16).padStart(16, '0')}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
