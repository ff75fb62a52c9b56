// X.509 parsing on top of node:crypto: signatures via X509Certificate, extensions and validity via our DER reader.
import { type KeyObject, X509Certificate, createHash } from 'node:crypto';
import { children, content, decodeOid, decodeTime, encoded, expectTag, readNode } from './asn1/der-reader';
import { errorMessage } from './bytes';

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
  /** The same two times as ISO strings, as verdicts print them. */
  notBeforeIso: string;
  notAfterIso: string;
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
  const notBefore = decodeTime(validity[0]!);
  const notAfter = decodeTime(validity[1]!);
  return {
    der,
    node,
    publicKey,
    subject: oneLine(node.subject),
    issuer: oneLine(node.issuer),
    subjectCn: commonName(node.subject),
    issuerCn: commonName(node.issuer),
    serialHex: serial.toString('hex').replace(/^00(?=.)/, ''),
    notBefore,
    notAfter,
    notBeforeIso: new Date(notBefore).toISOString(),
    notAfterIso: new Date(notAfter).toISOString(),
    extensions,
    sha256,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    keyType: publicKey.asymmetricKeyType ?? 'unknown',
  };
}

/** One certificate of a bundle: parsed, or why it could not be. */
export type BundleCert = { der: Buffer; cert: ParsedCert; error?: undefined } | { der: Buffer; cert?: undefined; error: string };

/** parseCertificate that answers with the error instead of throwing it. */
export function tryParseCertificate(der: Buffer): BundleCert {
  try {
    const cert = parseCertificate(der);
    return { der: cert.der, cert, error: undefined };
  } catch (err) {
    return { der: Buffer.from(der), cert: undefined, error: errorMessage(err) };
  }
}

// Collateral bundles (a VCEK with its ASK and ARK) come back unchanged report after report: their certificates are
// kept parsed by the bundle's exact bytes, so a repeat costs one byte comparison instead of PEM decoding and hashing.
const bundles: Array<{ bytes: Buffer; certs: readonly BundleCert[] }> = [];
const BUNDLE_LIMIT = 32;
const BUNDLE_MAX_BYTES = 64 * 1024;

/** The certificates of a PEM bundle or DER blob, parsed: certificatesFrom then tryParseCertificate, remembered by content. */
export function certificateBundle(input: string | Uint8Array): readonly BundleCert[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const i = bundles.findIndex((b) => b.bytes.length === bytes.length && b.bytes.equals(bytes));
  if (i >= 0) {
    const hit = bundles[i]!;
    if (i > 0) {
      bundles.splice(i, 1);
      bundles.unshift(hit);
    }
    return hit.certs;
  }
  // kept as an ordinary array (readonly by type): frozen arrays take slower paths in the optimizing compiler
  const certs: readonly BundleCert[] = certificatesFrom(bytes).map(tryParseCertificate);
  if (bytes.length <= BUNDLE_MAX_BYTES) {
    bundles.unshift({ bytes: Buffer.from(bytes), certs });
    if (bundles.length > BUNDLE_LIMIT) bundles.pop();
  }
  return certs;
}

/**
 * Whether `issuer`'s key signed `cert` (never throws: a malformed key does not verify). The answer depends only on
 * the two certificates' bytes, so it is kept with the parsed certificate (parsing is memoised by content) for the
 * next report of the same chip: a VCEK's chain is verified once, not per report. Time, trust anchors and revocation
 * are still decided on every call by the callers.
 */
export function isSignedBy(cert: ParsedCert, issuer: ParsedCert): boolean {
  let byIssuer = signedBy.get(cert);
  const hit = byIssuer?.get(issuer);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = cert.node.verify(issuer.publicKey);
  } catch {
    ok = false;
  }
  if (!byIssuer) signedBy.set(cert, (byIssuer = new WeakMap()));
  byIssuer.set(issuer, ok);
  return ok;
}
let signedBy = new WeakMap<ParsedCert, WeakMap<ParsedCert, boolean>>();

/**
 * Forget every parsed certificate, bundle and chain-signature result (the shipped trust anchors stay loaded). The
 * caches only skip work whose answer is fixed by bytes, so verdicts are the same with or without them: tests prove
 * that by verifying cold and warm.
 */
export function clearCertificateCaches(): void {
  memo.clear();
  bundles.length = 0;
  signedBy = new WeakMap();
}

export function isSelfSigned(cert: ParsedCert): boolean {
  return cert.subject === cert.issuer && isSignedBy(cert, cert);
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
