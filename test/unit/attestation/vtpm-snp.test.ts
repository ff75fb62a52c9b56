// The Prism/Cocos SNP-vTPM shape: attest.Attestation{ak_pub, quotes, sev_snp_attestation{report proto, chain}}.
// Built here from sandbox evidence so the proto → ABI re-serialisation, AK binding and PCR policy are exercised.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { verifyEvidence } from '../../../src/attestation';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';
import { parseCertTable } from '../../../src/attestation/snp/cert-table';

const varint = (n: bigint | number): Buffer => {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return Buffer.from(out);
};
const fieldLen = (no: number, b: Buffer): Buffer => Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
const fieldNum = (no: number, v: bigint | number): Buffer => Buffer.concat([varint(no << 3), varint(v)]);
const u16 = (v: number): Buffer => Buffer.from([v >> 8, v & 0xff]);
const u32 = (v: number): Buffer => Buffer.from([v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
const tpm2b = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

/** sevsnp.Report proto from the ABI bytes (the inverse of what the verifier does). */
function reportProto(abi: Buffer): Buffer {
  const u32le = (o: number): number => abi.readUInt32LE(o);
  const u64le = (o: number): bigint => abi.readBigUInt64LE(o);
  const b = (o: number, n: number): Buffer => abi.subarray(o, o + n);
  const fam = abi[0x188]!, model = abi[0x189]!, step = abi[0x18a]!;
  const fms = ((fam - 0xf) << 20) | ((model >> 4) << 16) | (0xf << 8) | ((model & 0xf) << 4) | step;
  return Buffer.concat([
    fieldNum(1, u32le(0)), fieldNum(2, u32le(4)), fieldNum(3, u64le(8)), fieldLen(4, b(0x10, 16)), fieldLen(5, b(0x20, 16)),
    fieldNum(6, u32le(0x30)), fieldNum(7, u32le(0x34)), fieldNum(8, u64le(0x38)), fieldNum(9, u64le(0x40)), fieldNum(10, u32le(0x48)),
    fieldLen(11, b(0x50, 64)), fieldLen(12, b(0x90, 48)), fieldLen(13, b(0xc0, 32)), fieldLen(14, b(0xe0, 48)), fieldLen(15, b(0x110, 48)),
    fieldLen(16, b(0x140, 32)), fieldLen(17, b(0x160, 32)), fieldNum(18, u64le(0x180)), fieldLen(19, b(0x1a0, 64)), fieldNum(20, u64le(0x1e0)),
    fieldNum(21, abi[0x1e8]!), fieldNum(22, abi[0x1e9]!), fieldNum(23, abi[0x1ea]!), fieldNum(24, abi[0x1ec]!), fieldNum(25, abi[0x1ed]!), fieldNum(26, abi[0x1ee]!),
    fieldNum(27, u64le(0x1f0)), fieldLen(28, b(0x2a0, 512)), fieldNum(29, fms),
  ]);
}

function vtpmAttestation(opts: { teeNonceFromCert: Buffer; vtpmNonce: Buffer; pcr16: Buffer }) {
  const ak = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const n = Buffer.from(ak.publicKey.export({ format: 'jwk' }).n!, 'base64url');
  // TPMT_PUBLIC: RSA, SHA-256 name, attrs, empty policy, no symmetric, RSASSA-SHA256, 2048 bits, default exponent
  const akPub = Buffer.concat([u16(0x0001), u16(0x000b), u32(0x00050072), tpm2b(Buffer.alloc(0)), u16(0x0010), u16(0x0014), u16(0x000b), u16(2048), u32(0), tpm2b(n)]);
  const pcrs = new Map<number, Buffer>([[0, Buffer.alloc(32, 0xa0)], [16, opts.pcr16]]);
  const bitmap = Buffer.from([0x01, 0x00, 0x01]); // PCR 0 and 16
  const digest = createHash('sha256').update(Buffer.concat([pcrs.get(0)!, pcrs.get(16)!])).digest();
  const attest = Buffer.concat([u32(0xff544347), u16(0x8018), tpm2b(Buffer.alloc(34)), tpm2b(opts.vtpmNonce), Buffer.alloc(17 + 8), u32(1), u16(0x000b), Buffer.from([3]), bitmap, tpm2b(digest)]);
  const sig = Buffer.concat([u16(0x0014), u16(0x000b), tpm2b(sign('sha256', attest, ak.privateKey))]);
  const pcrMsg = Buffer.concat([fieldNum(1, 11), ...[...pcrs].map(([i, v]) => fieldLen(2, Buffer.concat([fieldNum(1, i), fieldLen(2, v)])))]);
  const quote = Buffer.concat([fieldLen(1, attest), fieldLen(2, sig), fieldLen(3, pcrMsg)]);
  return { akPub, quote, reportData: createHash('sha3-512').update(Buffer.concat([opts.teeNonceFromCert, akPub])).digest() };
}

test('a Cocos-style SNP-vTPM attestation verifies end to end with the agent certificate', async () => {
  const chain = await createSandboxAmdChain({ arkBits: 2048, askBits: 2048 });
  const certPem = '-----BEGIN CERTIFICATE-----\nMIIBagent\n-----END CERTIFICATE-----\n';
  const teeNonce = createHash('sha512').update(certPem).digest();
  const vtpmNonce = createHash('sha256').update(certPem).digest();
  const pcr16 = Buffer.alloc(32, 0x16);
  const tpm = vtpmAttestation({ teeNonceFromCert: teeNonce, vtpmNonce, pcr16 });
  const ev = issueSandboxSnpEvidence(chain, { reportData: tpm.reportData });
  const table = parseCertTable(ev.attestation.subarray(0x4a0));
  const certChain = Buffer.concat([fieldLen(1, table[0]!.data), fieldLen(2, table[1]!.data), fieldLen(3, table[2]!.data)]);
  const sevSnp = Buffer.concat([fieldLen(1, reportProto(ev.attestation.subarray(0, 0x4a0))), fieldLen(2, certChain), fieldLen(3, fieldNum(1, 1))]);
  const attestation = Buffer.concat([fieldLen(1, tpm.akPub), fieldLen(2, tpm.quote), fieldLen(3, Buffer.from('event-log')), fieldLen(8, sevSnp)]);

  const { report_data: _rd, ...snpPolicy } = ev.policy.policy as Record<string, unknown>;
  const policy = (pcr: Buffer): string => JSON.stringify({ ...ev.policy, policy: snpPolicy, pcr_values: { sha256: { '0': 'a0'.repeat(32), '16': pcr.toString('hex') } } });
  const trust = { extraArks: [ev.rootPem], allowSandbox: true };
  const at = new Date(chain.notBefore + 3_600_000);

  const v = verifyEvidence({ evidence: attestation, policy: policy(pcr16), at, trust, binding: { agentCertPem: certPem } });
  expect(v.formatChain).toEqual(['vtpm-attestation']);
  expect(v.platform).toBe('sev-snp');
  expect(v.failures).toEqual([]);
  expect(v.verified).toBe(true);
  expect(v.keyChain.map((c) => c.source)).toEqual(['evidence:sevsnp.certificate_chain:vcek', 'evidence:sevsnp.certificate_chain:ask', 'trust:extra-ark']);
  expect(v.binding).toMatchObject({ kind: 'certificate', proven: true, inner: ['vtpm-ak'] });
  expect(v.checks.filter((c) => c.name.startsWith('vtpm.pcr.sha256.')).map((c) => c.result)).toEqual(['pass', 'pass']);

  // a PCR that differs from the policy, a wrong agent certificate, or no binding input at all
  expect(verifyEvidence({ evidence: attestation, policy: policy(Buffer.alloc(32, 0x17)), at, trust, binding: { agentCertPem: certPem } }).failures).toEqual(['vtpm.pcr.sha256.16']);
  expect(verifyEvidence({ evidence: attestation, policy: policy(pcr16), at, trust, binding: { agentCertPem: certPem + ' ' } }).failures).toEqual(['vtpm.quote[sha256].nonce', 'binding.report_data']);
  expect(verifyEvidence({ evidence: attestation, policy: policy(pcr16), at, trust }).failures).toEqual(['vtpm.ak_binding']);
});
