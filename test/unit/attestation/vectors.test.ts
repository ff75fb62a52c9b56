// Every vector in MANIFEST.md gets the verdict the manifest describes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Verdict, VerdictSchema, loadAmdRoots, verifyEvidence } from '../../../src/attestation';
import { readVector, readVectorText, vectorPath } from './vectors';

const NOW = '2026-11-22T00:00:00Z';
const TDX_WINDOW = '2025-07-01T00:00:00Z';
const tdxCollateral = (file: string): unknown => JSON.parse(readVectorText('tdx-dcap-qvl', file));

function names(v: Verdict, result: 'pass' | 'fail' | 'skip'): string[] {
  return v.checks.filter((c) => c.result === result).map((c) => c.name);
}

function expectSchemaClean(v: Verdict): void {
  expect(VerdictSchema.parse(v)).toEqual(v);
  expect(JSON.parse(JSON.stringify(v))).toEqual(v); // no Buffers, bigints or Dates
}

describe('SEV-SNP vectors', () => {
  test('go-sev-guest Milan v2: signature, chain, TCB and HWID verify; its guest policy 0xb0000 has DEBUG set', () => {
    const input = { evidence: readVector('snp-milan-go-sev-guest', 'attestation.bin'), collateral: { certificates: [readVector('snp-milan-go-sev-guest', 'vcek.testcer')] }, at: NOW };
    const strict = verifyEvidence(input);
    expect(strict.verified).toBe(false);
    expect(strict.failures).toEqual(['snp.policy.debug']);
    for (const n of ['snp.signature', 'snp.chain.leaf', 'snp.chain.intermediate', 'snp.chain.root_trusted', 'snp.endorsement.tcb', 'snp.endorsement.hwid']) expect(names(strict, 'pass')).toContain(n);

    // a policy that explicitly allows the debug guest (its own policy value) verifies it
    const permissive = verifyEvidence({ ...input, policy: '{"policy":{"policy":"720896","vmpl":0}}' });
    expect(permissive.verified).toBe(true);
    expect(permissive.keyChain.map((c) => c.role)).toEqual(['vcek', 'ask', 'ark']);
    expect(permissive.keyChain[2]!.subject).toContain('CN=ARK-Milan');
    expect(permissive.measurements.report_data!.startsWith('0102030405000000')).toBe(true);
    expect(permissive.measurements.reported_tcb).toBe('0x4405000000000002');
    expect(permissive.tcb.reported).toEqual({ bl: '2', tee: '0', snp: '5', ucode: '68' });
    expectSchemaClean(permissive);
  });

  test('trustee Milan v2 with its VCEK verifies; after the VCEK expires it does not', () => {
    const input = { evidence: readVector('snp-milan-trustee', 'test-report.bin'), collateral: { certificates: [readVector('snp-milan-trustee', 'test-vcek.der')] } };
    const ok = verifyEvidence({ ...input, at: NOW });
    expect(ok.verified).toBe(true);
    expect(ok.measurements.guest_policy).toBe('0x000000000003001f');
    expectSchemaClean(ok);
    const late = verifyEvidence({ ...input, at: '2031-01-01T00:00:00Z' });
    expect(late.failures).toEqual(['snp.cert.vcek.validity']);
  });

  test('trustee VLEK report v3 verifies only at a time inside the VLEK validity', () => {
    const input = { evidence: readVector('snp-milan-trustee', 'test-vlek-report.bin'), collateral: { certificates: [readVector('snp-milan-trustee', 'test-vlek.der')] } };
    const inside = verifyEvidence({ ...input, at: '2025-06-01T00:00:00Z' });
    expect(inside.verified).toBe(true);
    expect(inside.keyChain.map((c) => [c.role, c.subject.split(', ').pop()])).toEqual([
      ['vlek', 'CN=SEV-VLEK'],
      ['asvk', 'CN=SEV-VLEK-Milan'],
      ['ark', 'CN=ARK-Milan'],
    ]);
    expect(names(inside, 'skip')).toContain('snp.endorsement.hwid');
    const expired = verifyEvidence({ ...input, at: NOW });
    expect(expired.verified).toBe(false);
    expect(expired.failures).toEqual(['snp.cert.vlek.validity']);
    const before = verifyEvidence({ ...input, at: '2024-12-01T00:00:00Z' });
    expect(before.failures).toEqual(['snp.cert.vlek.validity']);
  });

  test('Azure HCL report verifies, including REPORT_DATA ↔ runtime-claims binding', () => {
    const v = verifyEvidence({ evidence: readVector('snp-azure-milan-trustee', 'hcl-report.bin'), collateral: { certificates: [readVectorText('snp-azure-milan-trustee', 'vcek.pem')] }, at: NOW });
    expect(v.verified).toBe(true);
    expect(v.format).toBe('azure-hcl-report');
    expect(names(v, 'pass')).toContain('azure.hcl.runtime_data');
    expect(v.binding.inner).toEqual(['azure-hcl-runtime-data']);
    expect(v.keyChain.map((c) => c.source)).toEqual(['collateral', 'collateral', 'trust-store:ask_ark_milan.pem']);
    expectSchemaClean(v);
  });

  test.each(['attestation_policy.v0.8.2.json', 'attestation_policy.2026-03.json'])('Cocos report passes %s but its VCEK is not public: only snp.signature fails', (file) => {
    const v = verifyEvidence({ evidence: readVector('cocos', 'attestation.bin'), policy: readVectorText('cocos', file), at: NOW });
    expect(v.verified).toBe(false);
    expect(v.failures).toEqual(['snp.signature']);
    expect(v.checks.find((c) => c.name === 'snp.signature')!.actual).toMatch(/no VCEK certificate available/);
    const policyChecks = v.checks.filter((c) => c.name.startsWith('snp.policy.'));
    expect(policyChecks.length).toBeGreaterThanOrEqual(15);
    expect(policyChecks.every((c) => c.result === 'pass')).toBe(true);
    for (const n of ['snp.policy.measurement', 'snp.policy.chip_id', 'snp.policy.host_data', 'snp.policy.family_id', 'snp.policy.image_id', 'snp.policy.report_id_ma', 'snp.policy.vmpl', 'snp.policy.minimum_tcb']) {
      expect(names(v, 'pass')).toContain(n);
    }
    // pcr_values need a vTPM quote: skipped for a raw report, never failed
    expect(names(v, 'skip').filter((n) => n.startsWith('vtpm.pcr.')).length).toBeGreaterThan(0);
    expect(v.measurements.vmpl).toBe('2');
  });

  test('Cocos quote.dat: the vTPM quote verifies but a bare vTPM has no hardware root', () => {
    const v = verifyEvidence({ evidence: readVector('cocos', 'quote.dat'), at: NOW });
    expect(v.format).toBe('vtpm-attestation');
    expect(v.platform).toBe('vtpm');
    expect(names(v, 'pass')).toEqual(expect.arrayContaining(['vtpm.quote[sha1].signature', 'vtpm.quote[sha1].pcr_digest']));
    expect(v.failures).toEqual(['vtpm.tee_report']);
    expect(Object.keys(v.measurements).filter((k) => k.startsWith('pcr.sha1.'))).toHaveLength(24);
  });

  test('Cocos quote.dat nonce: extraData is checked when a vTPM nonce is expected', () => {
    const good = verifyEvidence({ evidence: readVector('cocos', 'quote.dat'), at: NOW, binding: { vtpmNonce: 'ea03ef139abac44b48fdfe2e8a2e7a7f' } });
    expect(names(good, 'pass')).toContain('vtpm.quote[sha1].nonce');
    const bad = verifyEvidence({ evidence: readVector('cocos', 'quote.dat'), at: NOW, binding: { vtpmNonce: 'ea03ef139abac44b48fdfe2e8a2e7a70' } });
    expect(bad.failures).toContain('vtpm.quote[sha1].nonce');
  });
});

describe('AMD roots', () => {
  test('assets/amd-roots ships the six bundles byte for byte, each ARK pinned', () => {
    const roots = loadAmdRoots();
    expect(roots.map((r) => `${r.productLine}/${r.keyKind}`).sort()).toEqual(['Genoa/vcek', 'Genoa/vlek', 'Milan/vcek', 'Milan/vlek', 'Turin/vcek', 'Turin/vlek']);
    for (const r of roots) {
      expect(readFileSync(path.resolve(__dirname, '..', '..', '..', 'assets', 'amd-roots', r.file))).toEqual(readFileSync(vectorPath('amd-roots', r.file)));
      expect(r.ark.subjectCn).toBe(`ARK-${r.productLine}`);
    }
  });
});

describe('TDX vectors', () => {
  const quote = readVector('tdx-dcap-qvl', 'tdx_quote');

  test('sample quote v4 is UpToDate inside its collateral window', () => {
    const v = verifyEvidence({ evidence: quote, collateral: { tdx: tdxCollateral('tdx_quote_collateral.json') as never }, at: TDX_WINDOW });
    expect(v.verified).toBe(true);
    expect(v.format).toBe('tdx-quote-v4');
    expect(v.tcb).toEqual({ status: 'UpToDate', advisories: [], reported: { tee_tcb_svn: '06010300000000000000000000000000' } });
    expect(v.measurements.mr_td!.startsWith('91eb2b44')).toBe(true);
    expect(v.keyChain.map((c) => c.role)).toEqual(['pck', 'pck-ca', 'intel-root']);
    expectSchemaClean(v);
  });

  test('sample quote with an explicit Intel root from the vectors verifies; outside the window it does not', () => {
    const collateral = { tdx: tdxCollateral('tdx_quote_collateral.json') as never };
    const pinned = verifyEvidence({ evidence: quote, collateral, at: TDX_WINDOW, trust: { intelRootCaDer: readVector('tdx-dcap-qvl', 'TrustedRootCA.der') } });
    expect(pinned.verified).toBe(true);
    for (const at of [NOW, '2025-06-19T10:00:00Z']) {
      const v = verifyEvidence({ evidence: quote, collateral, at });
      expect(v.verified).toBe(false);
      expect(v.failures).toEqual(['tdx.dcap', 'tdx.tcb_status']);
    }
    expect(verifyEvidence({ evidence: quote, collateral, at: NOW }).checks.find((c) => c.name === 'tdx.dcap')!.actual).toBe('TCBInfo expired');
  });

  test('sample quote against the Cocos TDX policy: MRTD, MRSEAM, XFAM, attributes match, RTMR0-2 do not', () => {
    for (const file of ['attestation_policy_tdx.v0.8.2.json', 'attestation_policy_tdx.2026-03.json']) {
      const v = verifyEvidence({ evidence: quote, policy: readVectorText('cocos', file), collateral: { tdx: tdxCollateral('tdx_quote_collateral.json') as never }, at: TDX_WINDOW });
      expect(v.verified).toBe(false);
      expect(v.failures).toEqual(['tdx.policy.rtmr0', 'tdx.policy.rtmr1', 'tdx.policy.rtmr2']);
      expect(names(v, 'pass')).toEqual(expect.arrayContaining(['tdx.policy.mr_td', 'tdx.policy.mr_seam', 'tdx.policy.xfam', 'tdx.policy.td_attributes', 'tdx.policy.minimum_tee_tcb_svn', 'tdx.policy.qe_vendor_id', 'tdx.policy.rtmr3']));
    }
  });

  test('outdated quote (v5, TD 1.5) fails inside its window: no matching TCB level', () => {
    const v = verifyEvidence({ evidence: readVector('tdx-dcap-qvl', 'tdx_quote_outdated'), collateral: { tdx: tdxCollateral('tdx_quote_outdated_collateral.json') as never }, at: '2026-03-01T00:00:00Z' });
    expect(v.format).toBe('tdx-quote-v5');
    expect(v.verified).toBe(false);
    expect(v.failures).toEqual(['tdx.dcap', 'tdx.tcb_status']);
    expect(v.checks.find((c) => c.name === 'tdx.dcap')!.actual).toBe('No matching TCB level found');
  });

  test('accepted TCB statuses come from trust options (a status outside the list fails)', () => {
    const v = verifyEvidence({ evidence: quote, collateral: { tdx: tdxCollateral('tdx_quote_collateral.json') as never }, at: TDX_WINDOW, trust: { acceptedTdxTcbStatuses: ['SWHardeningNeeded'] } });
    expect(v.failures).toEqual(['tdx.tcb_status']);
  });
});
