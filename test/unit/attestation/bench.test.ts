// The benchmark runs the real verifiers (it refuses inputs that do not verify) and reports positive rates.
import { benchAttestation } from '../../../src/bench/attestation';

test('benchAttestation returns the SNP signature-only limit and SNP, TDX and dstack figures', async () => {
  const results = await benchAttestation({ budgetMs: 60, maxIterations: 20 });
  expect(results.map((r) => r.name.split(' ')[0])).toEqual(['snp-report-signature-only', 'snp-verify', 'snp-verify', 'tdx-verify', 'dstack-verify']);
  for (const r of results) {
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.iterations).toBeLessThanOrEqual(20);
    expect(r.opsPerSec).toBeGreaterThan(0);
  }
}, 30_000);
