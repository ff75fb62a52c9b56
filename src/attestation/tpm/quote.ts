// TPM 2.0 structures (big-endian): TPMS_ATTEST of a quote, TPMT_SIGNATURE, TPMT_PUBLIC; AK signature and PCR digest checks.
import { type KeyObject, constants, createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';

export const TPM_ALG_HASH: Record<number, string> = { 0x0004: 'sha1', 0x000b: 'sha256', 0x000c: 'sha384', 0x000d: 'sha512' };

class BeReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('TPM structure truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  tpm2b(): Buffer {
    return this.bytes(this.u16());
  }
}

export interface QuoteInfo {
  extraData: Buffer;
  selections: Array<{ hash: number; pcrs: number[] }>;
  pcrDigest: Buffer;
}

export function parseQuoteAttest(buf: Buffer): QuoteInfo {
  const r = new BeReader(buf);
  if (r.u32() !== 0xff544347) throw new Error('TPMS_ATTEST: bad magic');
  if (r.u16() !== 0x8018) throw new Error('TPMS_ATTEST: not a quote');
  r.tpm2b(); // qualifiedSigner
  const extraData = r.tpm2b();
  r.bytes(17 + 8); // clockInfo, firmwareVersion
  const count = r.u32();
  if (count > 16) throw new Error('TPMS_ATTEST: too many PCR selections');
  const selections: QuoteInfo['selections'] = [];
  for (let i = 0; i < count; i++) {
    const hash = r.u16();
    const bitmap = r.bytes(r.u8());
    const pcrs: number[] = [];
    bitmap.forEach((byte, j) => {
      for (let b = 0; b < 8; b++) if (byte & (1 << b)) pcrs.push(j * 8 + b);
    });
    selections.push({ hash, pcrs });
  }
  return { extraData, selections, pcrDigest: r.tpm2b() };
}

export interface TpmSignature {
  alg: number;
  hash: string;
  sig: Buffer;
}

export function parseSignature(buf: Buffer): TpmSignature {
  const r = new BeReader(buf);
  const alg = r.u16();
  const hash = TPM_ALG_HASH[r.u16()];
  if (!hash) throw new Error('TPMT_SIGNATURE: unsupported hash');
  if (alg === 0x0014 || alg === 0x0016) return { alg, hash, sig: r.tpm2b() };
  if (alg === 0x0018) {
    const rr = r.tpm2b();
    const ss = r.tpm2b();
    const size = Math.max(rr.length, ss.length);
    const pad = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(size - b.length), b]);
    return { alg, hash, sig: Buffer.concat([pad(rr), pad(ss)]) };
  }
  throw new Error(`TPMT_SIGNATURE: unsupported algorithm 0x${alg.toString(16)}`);
}

function schemeAndSym(r: BeReader): void {
  const sym = r.u16();
  if (sym !== 0x0010) r.bytes(4);
  const scheme = r.u16();
  if (scheme !== 0x0010) r.u16();
}

/** TPMT_PUBLIC (RSA or ECC P-256/P-384) as a Node public key. */
export function akPublicKey(buf: Buffer): KeyObject {
  const r = new BeReader(buf);
  const type = r.u16();
  r.u16(); // nameAlg
  r.u32(); // objectAttributes
  r.tpm2b(); // authPolicy
  const b64u = (b: Buffer): string => b.toString('base64url');
  if (type === 0x0001) {
    schemeAndSym(r);
    r.u16(); // keyBits
    const exp = r.u32() || 65537;
    const n = r.tpm2b();
    const e = Buffer.alloc(4);
    e.writeUInt32BE(exp);
    return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e.subarray(e.findIndex((x) => x !== 0))) }, format: 'jwk' });
  }
  if (type === 0x0023) {
    schemeAndSym(r);
    const curve = { 0x0003: 'P-256', 0x0004: 'P-384' }[r.u16()];
    const kdf = r.u16();
    if (kdf !== 0x0010) r.u16();
    if (!curve) throw new Error('TPMT_PUBLIC: unsupported curve');
    return createPublicKey({ key: { kty: 'EC', crv: curve, x: b64u(r.tpm2b()), y: b64u(r.tpm2b()) }, format: 'jwk' });
  }
  throw new Error(`TPMT_PUBLIC: unsupported key type 0x${type.toString(16)}`);
}

export function verifyQuoteSignature(key: KeyObject, attest: Buffer, sig: TpmSignature): boolean {
  try {
    if (sig.alg === 0x0016) return cryptoVerify(sig.hash, attest, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig.sig);
    if (sig.alg === 0x0018) return cryptoVerify(sig.hash, attest, { key, dsaEncoding: 'ieee-p1363' }, sig.sig);
    return cryptoVerify(sig.hash, attest, key, sig.sig);
  } catch {
    return false;
  }
}

/** Digest of the selected PCR values in selection order, as TPM2_Quote computes it. */
export function pcrDigest(info: QuoteInfo, pcrs: Map<number, Buffer>, hash: string): Buffer | undefined {
  const h = createHash(hash);
  for (const sel of info.selections) {
    for (const index of sel.pcrs) {
      const v = pcrs.get(index);
      if (!v) return undefined;
      h.update(v);
    }
  }
  return h.digest();
}
