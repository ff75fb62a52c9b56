// X.509 CRL (AMD KDS serves one per product, signed by the ARK): parse, verify the signature, list revoked serials.
import { constants, verify as cryptoVerify } from 'node:crypto';
import { children, content, decodeOid, decodeTime, encoded, readNode } from '../asn1/der-reader';
import type { ParsedCert } from '../x509';

export interface ParsedCrl {
  der: Buffer;
  issuerDer: Buffer;
  thisUpdate: number;
  nextUpdate?: number;
  revokedSerials: Set<string>;
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
  pssHash?: string;
  pssSalt?: number;
}

const HASH_OIDS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export function crlsFrom(input: Uint8Array | string): Buffer[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf[0] === 0x30) return [buf];
  const out: Buffer[] = [];
  for (const m of buf.toString('latin1').matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)) {
    out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

export function parseCrl(der: Buffer): ParsedCrl {
  const [tbsNode, algNode, sigNode] = children(readNode(der, 0));
  if (!tbsNode || !algNode || !sigNode) throw new Error('CRL: malformed');
  const f = children(tbsNode);
  let i = 0;
  if (f[i]!.tag === 0x02) i++; // version
  i++; // signature algorithm
  const issuerDer = encoded(f[i++]!);
  const thisUpdate = decodeTime(f[i++]!);
  let nextUpdate: number | undefined;
  if (f[i] && (f[i]!.tag === 0x17 || f[i]!.tag === 0x18)) nextUpdate = decodeTime(f[i++]!);
  const revokedSerials = new Set<string>();
  if (f[i] && f[i]!.tag === 0x30) {
    for (const entry of children(f[i]!)) revokedSerials.add(content(children(entry)[0]!).toString('hex').replace(/^00(?=.)/, ''));
  }
  const alg = children(algNode);
  const signatureOid = decodeOid(alg[0]!);
  let pssHash: string | undefined;
  let pssSalt: number | undefined;
  if (signatureOid === '1.2.840.113549.1.1.10' && alg[1]) {
    for (const p of children(alg[1])) {
      if (p.tag === 0xa0) pssHash = HASH_OIDS[decodeOid(children(children(p)[0]!)[0]!)];
      if (p.tag === 0xa2) pssSalt = Number(content(children(p)[0]!).readUIntBE(0, content(children(p)[0]!).length));
    }
  }
  const sigBits = content(sigNode);
  return { der, issuerDer, thisUpdate, nextUpdate, revokedSerials, tbs: encoded(tbsNode), signatureOid, signature: sigBits.subarray(1), pssHash, pssSalt };
}

/** RSA-PSS (AMD) or ECDSA / PKCS#1 SHA-384 CRL signature check against the issuer's key. */
export function crlSignedBy(crl: ParsedCrl, issuer: ParsedCert): boolean {
  try {
    const key = issuer.publicKey;
    if (crl.signatureOid === '1.2.840.113549.1.1.10') {
      return cryptoVerify(crl.pssHash ?? 'sha384', crl.tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: crl.pssSalt ?? 48 }, crl.signature);
    }
    const hash = { '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.11': 'sha256' }[crl.signatureOid];
    return hash ? cryptoVerify(hash, crl.tbs, key, crl.signature) : false;
  } catch {
    return false;
  }
}
