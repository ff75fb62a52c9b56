// Fail closed, never throw: corrupted evidence of every format yields a schema-valid, unverified verdict.
import { VerdictSchema, verifyEvidence } from '../../../src/attestation';
import { readVector } from './vectors';

const files: Array<[string, string]> = [
  ['snp-milan-trustee', 'test-report.bin'],
  ['snp-azure-milan-trustee', 'hcl-report.bin'],
  ['cocos', 'attestation.bin'],
  ['cocos', 'quote.dat'],
  ['tdx-dcap-qvl', 'tdx_quote'],
];

test.each(files)('random corruption of %s/%s never throws', (dir, name) => {
  const original = readVector(dir, name);
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0; // deterministic LCG: the same cases on every run
    return seed % n;
  };
  for (let i = 0; i < 60; i++) {
    const buf = Buffer.from(original);
    const cut = rand(4) === 0 ? rand(buf.length) : buf.length;
    for (let k = 0; k < 1 + rand(8); k++) buf[rand(Math.min(cut, 0x300) || 1)] = rand(256);
    const v = verifyEvidence({ evidence: buf.subarray(0, cut), at: '2026-11-22T00:00:00Z' });
    expect(VerdictSchema.safeParse(v).success).toBe(true);
    expect(v.verified).toBe(false); // no collateral or policy is given, so nothing here may verify
  }
});
