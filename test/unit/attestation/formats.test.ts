// Format sniffing and unwrapping: every supported wrapper reaches the same verifier; unknown input fails closed.
import { sniffFormat, verifyEvidence } from '../../../src/attestation';
import { readVector } from './vectors';

const NOW = '2026-11-22T00:00:00Z';
const vcek = { certificates: [readVector('snp-milan-trustee', 'test-vcek.der')] };
const report = readVector('snp-milan-trustee', 'test-report.bin');

/** Tiny CBOR encoder for building test tokens (definite lengths only). */
function cbor(v: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof v === 'number') return head(0, v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  throw new Error('unsupported');
}

function coseSign1(claims: Map<unknown, unknown>): Buffer {
  // tag 18, [protected {1: -7 as bstr}, unprotected {}, payload, signature]; the signature is irrelevant by design
  return Buffer.concat([Buffer.from([0xd2]), cbor([cbor(new Map([[1, 7]])), new Map(), cbor(claims), Buffer.alloc(64)])]);
}

test.each([
  ['snp-milan-trustee/test-report.bin', 'snp-report'],
  ['cocos/attestation.bin', 'snp-report'],
  ['snp-azure-milan-trustee/hcl-report.bin', 'azure-hcl-report'],
  ['cocos/quote.dat', 'vtpm-attestation'],
  ['tdx-dcap-qvl/tdx_quote', 'tdx-quote-v4'],
  ['tdx-dcap-qvl/tdx_quote_outdated', 'tdx-quote-v5'],
])('sniffs %s as %s', (file, format) => {
  const [dir, name] = file.split('/');
  expect(sniffFormat(readVector(dir!, name!)).format).toBe(format);
});

test('base64 text (as Prism returns it) is unwrapped', () => {
  const v = verifyEvidence({ evidence: Buffer.from(report.toString('base64') + '\n'), collateral: vcek, at: NOW });
  expect(v.verified).toBe(true);
  expect(v.formatChain).toEqual(['base64', 'snp-report']);
  expect(v.format).toBe('snp-report');
  expect(v.evidenceSha256).not.toBe(verifyEvidence({ evidence: report, collateral: vcek, at: NOW }).evidenceSha256);
});

test('an EAT COSE_Sign1 token carrying the raw report verifies through the report, not the token signature', () => {
  const token = coseSign1(new Map<unknown, unknown>([[10, Buffer.from('0102030405060708', 'hex')], ['platform_type', 'SNP'], ['raw_report', report]]));
  expect(sniffFormat(token).format).toBe('eat-cbor');
  const v = verifyEvidence({ evidence: token, collateral: vcek, at: NOW });
  expect(v.verified).toBe(true);
  expect(v.formatChain).toEqual(['eat-cbor', 'snp-report']);
  expect(v.format).toBe('eat-cbor');
  expect(v.checks.find((c) => c.name === 'eat.signature')!.result).toBe('skip');
  expect(v.measurements.eat_nonce).toBe('0102030405060708');
  // a tampered raw_report inside a well-formed token still fails
  const bad = Buffer.from(report);
  bad[0x90]! ^= 1;
  expect(verifyEvidence({ evidence: coseSign1(new Map([['raw_report', bad]])), collateral: vcek, at: NOW }).failures).toEqual(['snp.signature']);
});

test('an EAT JWT carrying a TDX quote verifies through the quote', () => {
  const quote = readVector('tdx-dcap-qvl', 'tdx_quote');
  const b64u = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64u({ alg: 'ES256' })}.${b64u({ platform_type: 'TDX', raw_report: quote.toString('base64') })}.sig`;
  const v = verifyEvidence({ evidence: Buffer.from(jwt), collateral: { tdx: JSON.parse(readVector('tdx-dcap-qvl', 'tdx_quote_collateral.json').toString()) as never }, at: '2025-07-01T00:00:00Z' });
  expect(v.formatChain).toEqual(['eat-jwt', 'tdx-quote-v4']);
  expect(v.verified).toBe(true);
});

test.each([
  ['random bytes', Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'), /unknown evidence format: unrecognised leading bytes ffeeddccbbaa9988/],
  ['empty input', Buffer.alloc(0), /only 0 bytes/],
  ['a truncated SNP report', report.subarray(0, 800), /SEV-SNP report v2 but has 800 bytes/],
  ['an SGX quote header', Buffer.from('0300020000000000' + '00'.repeat(40), 'hex'), /SGX quote/],
  ['an EAT token without raw_report', coseSign1(new Map([['platform_type', 'SNP']])), /no raw_report claim/],
  ['a corrupt vTPM protobuf', Buffer.from([0x0a, 0x7f, 0x01, 0x02, 0x03]), /vtpm-attestation: protobuf: field 1 runs past the end/],
  ['base64 of garbage', Buffer.from('SGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGV2aWRlbmNl'), /base64 text that does not decode/],
])('%s fails closed with a clear reason', (_label, evidence, reason) => {
  const v = verifyEvidence({ evidence, at: NOW });
  expect(v.verified).toBe(false);
  expect(v.failures).toEqual(['evidence.format']);
  expect(v.checks.find((c) => c.name === 'evidence.format')!.actual).toMatch(reason);
  expect(v.platform).toBe('unknown');
});

test('usage errors throw: an invalid verification time', () => {
  expect(() => verifyEvidence({ evidence: report, at: 'yesterday' })).toThrow(/invalid verification time/);
});
