// X.509 parsing on top of node:crypto: signatures via X509Certificate, extensions and validity via our DER reader.
import { type KeyObject, X509Certificate, createHash } from 'node:crypto';
import { children, content, decodeOid, decodeTime, encoded, expectTag, readNode } from './asn1/der-reader';

export interface ParsedCert {
  der: Buffer;
  node: X509Certificate;
  publicKey: KeyObject;
  subject: string;
  issuer: string;
  subjectCn: string;
  issuerCn: string;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** OID → extnValue contents (the bytes inside the OCTET STRING). */
  extensions: Map<string, Buffer>;
  sha256: string;
  spkiSha256: string;
  keyType: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** DER certificates from a PEM bundle, a single DER blob, or raw bytes holding either. */
export function certificatesFrom(input: string | Uint8Array): Buffer[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length > 0 && buf[0] === 0x30) return [buf];
  const text = buf.toString('latin1');
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

function commonName(name: string): string {
  const cn = name.split('\n').find((p) => p.startsWith('CN='));
  return cn ? cn.slice(3) : '';
}

// Parsed certificates are immutable: memoise by content so repeated verifications skip X509Certificate construction.
const memo = new Map<string, ParsedCert>();
const MEMO_LIMIT = 512;

export function parseCertificate(der: Buffer): ParsedCert {
  const key = createHash('sha256').update(der).digest('hex');
  const hit = memo.get(key);
  if (hit) return hit;
  const parsed = parseUncached(Buffer.from(der), key);
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  memo.set(key, parsed);
  return parsed;
}

function parseUncached(der: Buffer, sha256: string): ParsedCert {
  const node = new X509Certificate(der);
  const cert = readNode(der, 0);
  const tbs = expectTag(children(cert)[0]!, 0x30, 'TBSCertificate');
  const fields = children(tbs);
  let i = 0;
  if (fields[i]!.tag === 0xa0) i++; // explicit version
  const serial = content(expectTag(fields[i]!, 0x02, 'serialNumber'));
  i += 3; // serial, signature algorithm, issuer
  const validity = children(expectTag(fields[i]!, 0x30, 'validity'));
  i += 2; // validity, subject
  const spki = encoded(expectTag(fields[i]!, 0x30, 'subjectPublicKeyInfo'));
  const extensions = new Map<string, Buffer>();
  for (const f of fields.slice(i + 1)) {
    if (f.tag !== 0xa3) continue;
    for (const ext of children(expectTag(children(f)[0]!, 0x30, 'extensions'))) {
      const parts = children(ext);
      const value = parts[parts.length - 1]!;
      extensions.set(decodeOid(parts[0]!), content(expectTag(value, 0x04, 'extnValue')));
    }
  }
  const publicKey = node.publicKey;
  return {
    der,
    node,
    publicKey,
    subject: oneLine(node.subject),
    issuer: oneLine(node.issuer),
    subjectCn: commonName(node.subject),
    issuerCn: commonName(node.issuer),
    serialHex: serial.toString('hex').replace(/^00(?=.)/, ''),
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    extensions,
    sha256,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    keyType: publicKey.asymmetricKeyType ?? 'unknown',
  };
}

/** Signature check that never throws: malformed keys count as "does not verify". */
/**
 * Whether `issuer`'s key signed `cert`. The answer depends only on the two certificates' bytes, so it is kept
 * (by both SHA-256s) for the next report of the same chip: a VCEK's chain is verified once, not per report.
 * Time, trust anchors and revocation are still decided on every call by the callers.
 */
export function isSignedBy(cert: ParsedCert, issuer: ParsedCert): boolean {
  const key = `${cert.sha256}:${issuer.sha256}`;
  const hit = signedBy.get(key);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = cert.node.verify(issuer.publicKey);
  } catch {
    ok = false;
  }
  if (signedBy.size >= MEMO_LIMIT * 4) signedBy.delete(signedBy.keys().next().value!);
  signedBy.set(key, ok);
  return ok;
}
const signedBy = new Map<string, boolean>();

export function isSelfSigned(cert: ParsedCert): boolean {
  return cert.subject === cert.issuer && isSignedBy(cert, cert);
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
