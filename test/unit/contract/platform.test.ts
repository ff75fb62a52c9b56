// The platform check of createAttestedPrismCvm: verified evidence of another platform is a `failed` verdict.
import { evidencePlatform, withPlatformCheck, type PlatformCheckedVerdict } from '../../../src/contract/prism';

const verified = (platform: string, formatChain: string[] = []): PlatformCheckedVerdict => ({ verified: true, result: 'verified', platform, formatChain, checks: [{ name: 'snp.signature', result: 'pass', expected: 'valid', actual: 'valid' }], failures: [] });

test('evidence of the requested platform passes, with the check recorded', () => {
  const v = withPlatformCheck(verified('sev-snp'), 'sev-snp');
  expect(v).toMatchObject({ verified: true, result: 'verified', failures: [] });
  expect(v.checks.at(-1)).toEqual({ name: 'platform', result: 'pass', expected: 'sev-snp', actual: 'sev-snp' });
});

test('genuine evidence of another platform is failed, naming both platforms', () => {
  const v = withPlatformCheck(verified('sev-snp'), 'tdx');
  expect(v).toMatchObject({ verified: false, result: 'failed', failures: ['platform'] });
  expect(v.checks.at(-1)).toEqual({ name: 'platform', result: 'fail', expected: 'tdx', actual: 'sev-snp', detail: 'the evidence is sev-snp, the CVM was requested as tdx' });
});

test('a vTPM wrapper is judged by the report inside it', () => {
  expect(evidencePlatform({ platform: 'vtpm', formatChain: ['vtpm-attestation', 'snp-report'] })).toBe('sev-snp');
  expect(evidencePlatform({ platform: 'vtpm', formatChain: ['vtpm-attestation', 'tdx-quote-v4'] })).toBe('tdx');
  expect(withPlatformCheck(verified('vtpm', ['vtpm-attestation', 'azure-hcl-report', 'snp-report']), 'sev-snp').verified).toBe(true);
  expect(withPlatformCheck(verified('vtpm', ['vtpm-attestation']), 'sev-snp')).toMatchObject({ verified: false, result: 'failed' });
});
