// Tampered or mismatched evidence fails with the right check named, and every failure is listed.
import { createHash } from 'node:crypto';
import { type Verdict, loadAmdRoots, verifyEvidence } from '../../../src/attestation';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';
import { readVector, readVectorText } from './vectors';

const NOW = '2026-11-22T00:00:00Z';
const trusteeReport = (): Buffer => Buffer.from(readVector('snp-milan-trustee', 'test-report.bin'));
const trusteeVcek = { certificates: [readVector('snp-milan-trustee', 'test-vcek.der')] };
const cocosReport = readVector('cocos', 'attestation.bin');
const cocosPolicy = readVectorText('cocos', 'attestation_policy.v0.8.2.json');
const check = (v: Verdict, name: string) => v.checks.find((c) => c.name === name);

test('a flipped byte in the signed range breaks the signature', () => {
  for (const offset of [0x090, 0x000 + 4, 0x29f]) {
    const report = trusteeReport();
    report[offset]! ^= 0x01;
    const v = verifyEvidence({ evidence: report, collateral: trusteeVcek, at: NOW });
    expect(v.verified).toBe(false);
    expect(v.failures).toContain('snp.signature');
    expect(check(v, 'snp.signature')!.actual).toBe('does not verify');
  }
  // a byte of the signature itself
  const report = trusteeReport();
  report[0x2a0]! ^= 0x80;
  expect(verifyEvidence({ evidence: report, collateral: trusteeVcek, at: NOW }).failures).toEqual(['snp.signature']);
});

test('the wrong product root: a Milan chain is not accepted where Genoa is pinned', () => {
  const v = verifyEvidence({ evidence: trusteeReport(), collateral: trusteeVcek, policy: '{"root_of_trust":{"product_line":"Genoa"}}', at: NOW });
  expect(v.verified).toBe(false);
  expect(v.failures).toEqual(['snp.product_line', 'snp.chain.root_trusted']);
  expect(check(v, 'snp.chain.root_trusted')!.expected).toMatch(/^ARK-Genoa/);
  expect(check(v, 'snp.chain.root_trusted')!.actual).toMatch(/^ARK-Milan/);

  // with only the Genoa/Turin bundles trusted there is no SEV-Milan ASK at all
  const others = loadAmdRoots().filter((r) => r.productLine !== 'Milan');
  const w = verifyEvidence({ evidence: trusteeReport(), collateral: trusteeVcek, at: NOW, trust: { amdRoots: others } });
  expect(w.failures).toEqual(['snp.chain.leaf']);
  expect(w.verified).toBe(false);

  // supplying the Genoa ASK/ARK as collateral does not help either
  const x = verifyEvidence({ evidence: trusteeReport(), collateral: { certificates: [...trusteeVcek.certificates, readVectorText('amd-roots', 'ask_ark_genoa.pem')] }, at: NOW, trust: { amdRoots: others } });
  expect(x.failures).toEqual(['snp.chain.leaf']);
});

test('a missing VCEK fails closed and names the missing certificate', () => {
  const v = verifyEvidence({ evidence: trusteeReport(), at: NOW });
  expect(v.failures).toEqual(['snp.signature']);
  expect(check(v, 'snp.signature')!.actual).toMatch(/no VCEK certificate/);
  // the wrong chip's VCEK: signature and HWID both fail
  const w = verifyEvidence({ evidence: trusteeReport(), collateral: { certificates: [readVector('snp-milan-go-sev-guest', 'vcek.testcer')] }, at: NOW });
  expect(w.failures).toEqual(['snp.signature', 'snp.endorsement.tcb', 'snp.endorsement.hwid']);
});

test('an expired certificate fails its validity check', () => {
  const v = verifyEvidence({ evidence: readVector('snp-milan-trustee', 'test-vlek-report.bin'), collateral: { certificates: [readVector('snp-milan-trustee', 'test-vlek.der')] }, at: '2026-01-01T00:00:00Z' });
  expect(v.failures).toEqual(['snp.cert.vlek.validity']);
  expect(check(v, 'snp.cert.vlek.validity')!.detail).toMatch(/expired/);
  // and after the ASK/ARK expire too, every expired certificate is listed
  const w = verifyEvidence({ evidence: readVector('snp-milan-trustee', 'test-vlek-report.bin'), collateral: { certificates: [readVector('snp-milan-trustee', 'test-vlek.der')] }, at: '2048-01-01T00:00:00Z' });
  expect(w.failures).toEqual(['snp.cert.vlek.validity', 'snp.cert.asvk.validity', 'snp.cert.ark.validity']);
});

test('a measurement that differs from the policy fails snp.policy.measurement (and only that)', () => {
  const policy = cocosPolicy.replace('oDYo4e98Da2Fy73nDVZmxiWiz+5gnxae7NMRtdfnwpbBuVYZsI0mynz3fpfe+YIX', 'oDYo4e98Da2Fy73nDVZmxiWiz+5gnxae7NMRtdfnwpbBuVYZsI0mynz3fpfe+YIY');
  expect(policy).not.toBe(cocosPolicy);
  const v = verifyEvidence({ evidence: cocosReport, policy, at: NOW });
  expect(v.failures).toEqual(['snp.signature', 'snp.policy.measurement']);
  // several mismatches are all reported
  const many = policy.replace('"vmpl": 2', '"vmpl": 0').replace('"minimum_build": 8', '"minimum_build": 9');
  expect(verifyEvidence({ evidence: cocosReport, policy: many, at: NOW }).failures).toEqual(['snp.signature', 'snp.policy.vmpl', 'snp.policy.measurement', 'snp.policy.minimum_build']);
});

test('uint64 policy values above 2^53 are compared without precision loss', () => {
  const exact = '15352208179752599555';
  const oneMore = '15352208179752599556';
  expect(JSON.parse(exact)).toBe(JSON.parse(oneMore)); // what a JSON.parse-based reader would see
  const base = cocosPolicy.replace(/"minimum_launch_tcb": \d+,/, '');
  const v1 = verifyEvidence({ evidence: cocosReport, policy: base.replace(`"minimum_tcb": ${exact}`, `"minimum_tcb": ${oneMore}`), at: NOW });
  expect(v1.failures).toEqual(['snp.signature', 'snp.policy.minimum_tcb']);
  expect(check(v1, 'snp.policy.minimum_tcb')!.expected).toContain(oneMore);
  const v2 = verifyEvidence({ evidence: cocosReport, policy: base, at: NOW });
  expect(check(v2, 'snp.policy.minimum_tcb')!.result).toBe('pass');
  // as a quoted string (camelCase file style) the same holds
  const v3 = verifyEvidence({ evidence: cocosReport, policy: `{"policy":{"minimumTcb":"${oneMore}"}}`, at: NOW });
  expect(v3.failures).toEqual(['snp.signature', 'snp.policy.minimum_tcb']);
});

test('TDX: an MRTD that differs from the policy (given as hex) and a debug TD are named', () => {
  const quote = readVector('tdx-dcap-qvl', 'tdx_quote');
  const collateral = { tdx: JSON.parse(readVectorText('tdx-dcap-qvl', 'tdx_quote_collateral.json')) as never };
  const mrTd = '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b8';
  const v = verifyEvidence({ evidence: quote, collateral, at: '2025-07-01T00:00:00Z', policy: JSON.stringify({ policy: { tdQuoteBodyPolicy: { mrTd } } }) });
  expect(v.failures).toEqual(['tdx.policy.mr_td']);

  const debug = Buffer.from(quote);
  debug[0x30 + 0x78]! |= 0x01; // TD_ATTRIBUTES.TUD.DEBUG
  const w = verifyEvidence({ evidence: debug, collateral, at: '2025-07-01T00:00:00Z' });
  expect(w.verified).toBe(false);
  expect(w.failures).toEqual(expect.arrayContaining(['tdx.dcap', 'tdx.td_attributes.debug']));
});

test('a TDX quote against an SNP policy (or the reverse) fails policy.platform', () => {
  const v = verifyEvidence({ evidence: cocosReport, policy: readVectorText('cocos', 'attestation_policy_tdx.v0.8.2.json'), at: NOW });
  expect(v.failures).toContain('policy.platform');
});

describe('sandbox-issued evidence for mutations the real vectors cannot express', () => {
  let chain: Awaited<ReturnType<typeof createSandboxAmdChain>>;
  beforeAll(async () => {
    chain = await createSandboxAmdChain({ arkBits: 2048, askBits: 2048 });
  });
  const at = (): Date => new Date(chain.notBefore + 3_600_000);

  test('a debug guest policy bit fails snp.policy.debug', () => {
    const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('n'), policy: 0xb0000n });
    const policy = { ...ev.policy, policy: { ...(ev.policy.policy as object), policy: '196608' } };
    const v = verifyEvidence({ evidence: ev.attestation, policy: JSON.stringify(policy), at: at(), trust: { extraArks: [ev.rootPem], allowSandbox: true } });
    expect(v.failures).toEqual(['snp.policy.debug']);
    expect(check(v, 'snp.policy.debug')!.detail).toMatch(/DEBUG \(bit 19\)/);
    // with no policy at all a debug guest is still rejected
    expect(verifyEvidence({ evidence: ev.attestation, at: at(), trust: { extraArks: [ev.rootPem], allowSandbox: true } }).failures).toEqual(['snp.policy.debug']);
  });

  test('a stale nonce fails binding.report_data; the right one proves a fresh binding', () => {
    const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('00112233', 'hex') });
    const trust = { extraArks: [ev.rootPem], allowSandbox: true };
    const good = verifyEvidence({ evidence: ev.attestation, at: at(), trust, binding: { nonce: '00112233' } });
    expect(good.verified).toBe(true);
    expect(good.binding).toMatchObject({ kind: 'nonce', fresh: true, proven: true });
    const stale = verifyEvidence({ evidence: ev.attestation, at: at(), trust, binding: { nonce: '00112234' } });
    expect(stale.failures).toEqual(['binding.report_data']);
    expect(stale.binding.proven).toBe(false);
  });

  test('the Prism agent certificate binding: REPORT_DATA = SHA-512(cert PEM)', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const ev = issueSandboxSnpEvidence(chain, { reportData: createHash('sha512').update(pem).digest() });
    const trust = { extraArks: [ev.rootPem], allowSandbox: true };
    const v = verifyEvidence({ evidence: ev.attestation, at: at(), trust, binding: { agentCertPem: pem } });
    expect(v.verified).toBe(true);
    expect(v.binding).toMatchObject({ kind: 'certificate', fresh: false, proven: true });
    // a different line ending is a different certificate file
    expect(verifyEvidence({ evidence: ev.attestation, at: at(), trust, binding: { agentCertPem: pem.replace(/\n/g, '\r\n') } }).failures).toEqual(['binding.report_data']);
  });
});
