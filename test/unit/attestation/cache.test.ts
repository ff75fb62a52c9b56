// The certificate caches behind verifyEvidence (parsed bundles, chain signatures, per-certificate facts) skip only work
// whose answer is fixed by bytes: a verdict is the same cold or warm, at any time, and a tampered report still fails.
import { type Verdict, type VerifyInput, verifyEvidence } from '../../../src/attestation';
import { certificatesFrom, clearCertificateCaches } from '../../../src/attestation/x509';
import { readVector, readVectorText } from './vectors';

const REPORT = readVector('snp-azure-milan-trustee', 'hcl-report.bin');
const BUNDLE = readVector('snp-azure-milan-trustee', 'vcek.pem'); // VCEK, ASK, ARK
const VALID = '2026-11-22T00:00:00Z';
const NOT_YET_VALID = '2022-01-01T00:00:00Z'; // before the VCEK's notBefore (2023-05-02)
const EXPIRED = '2031-01-01T00:00:00Z'; // after the VCEK's notAfter (2030-05-02)
const HW_REPORT = 0x20; // the SNP report's offset inside the HCL report

function input(at: VerifyInput['at'], evidence: Buffer = REPORT, bundle: string | Uint8Array = BUNDLE): VerifyInput {
  return { evidence, collateral: { certificates: [bundle] }, at };
}

function cold(i: VerifyInput): Verdict {
  clearCertificateCaches();
  return verifyEvidence(i);
}

function flipped(buf: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buf);
  copy[offset] ^= 0x01;
  return copy;
}

const failing = (v: Verdict): string[] => v.checks.filter((c) => c.result === 'fail').map((c) => c.name);

afterAll(() => clearCertificateCaches());

describe('verifyEvidence with warm certificate caches', () => {
  it.each([
    ['valid', VALID, true],
    ['before the VCEK is valid', NOT_YET_VALID, false],
    ['after the VCEK expired', EXPIRED, false],
  ])('gives the cold verdict when %s', (_what, at, verified) => {
    const first = cold(input(at));
    const warm = [verifyEvidence(input(at)), verifyEvidence(input(at))];
    expect(first.verified).toBe(verified);
    for (const v of warm) expect(v).toEqual(first);
    if (!verified) expect(failing(first)).toEqual(['snp.cert.vcek.validity']);
  });

  it('judges validity at each call time, whatever time warmed the cache', () => {
    const expiredCold = cold(input(EXPIRED));
    const validCold = cold(input(VALID));
    const notYetCold = cold(input(NOT_YET_VALID));
    clearCertificateCaches();
    // one warm cache, times alternating: every verdict equals its cold twin
    for (let round = 0; round < 2; round++) {
      expect(verifyEvidence(input(VALID))).toEqual(validCold);
      expect(verifyEvidence(input(EXPIRED))).toEqual(expiredCold);
      expect(verifyEvidence(input(NOT_YET_VALID))).toEqual(notYetCold);
      expect(verifyEvidence(input(Date.parse(VALID)))).toEqual(validCold);
    }
    expect(validCold.verified).toBe(true);
    expect(expiredCold.verified).toBe(false);
    expect(expiredCold.checks.find((c) => c.name === 'snp.cert.vcek.validity')?.detail).toMatch(/expired/);
    expect(notYetCold.checks.find((c) => c.name === 'snp.cert.vcek.validity')?.detail).toMatch(/not yet valid/);
  });

  it.each([
    ['MEASUREMENT', HW_REPORT + 0x090],
    ['REPORT_DATA', HW_REPORT + 0x050],
    ['REPORTED_TCB', HW_REPORT + 0x180],
    ['the signature r', HW_REPORT + 0x2a0],
    ['the signature s', HW_REPORT + 0x2e8 + 10],
  ])('still refuses a report with %s changed after the genuine one warmed the cache (same VCEK)', (_what, offset) => {
    const tampered = flipped(REPORT, offset);
    const tamperedCold = cold(input(VALID, tampered));
    expect(verifyEvidence(input(VALID)).verified).toBe(true);
    expect(verifyEvidence(input(VALID)).verified).toBe(true);
    const tamperedWarm = verifyEvidence(input(VALID, tampered));
    expect(tamperedWarm).toEqual(tamperedCold);
    expect(tamperedWarm.verified).toBe(false);
    expect(failing(tamperedWarm)).toContain('snp.signature');
  });

  it('reads the collateral by its bytes: PEM text, PEM bytes and DER give the verdict, and a bundle changed in place is read again', () => {
    const pemText = readVectorText('snp-azure-milan-trustee', 'vcek.pem');
    const reference = cold(input(VALID));
    expect(verifyEvidence(input(VALID, REPORT, pemText))).toEqual(reference);
    expect(verifyEvidence(input(VALID, REPORT, pemText))).toEqual(reference);

    // the caller's buffer is warm in the cache, then overwritten: the verdict follows the new bytes
    const mine = Buffer.from(BUNDLE);
    expect(verifyEvidence(input(VALID, REPORT, mine))).toEqual(reference);
    const vcekDer = certificatesFrom(BUNDLE)[0]!;
    const otherLeaf = readVector('snp-milan-trustee', 'test-vcek.der');
    mine.fill(0x20);
    Buffer.from(`-----BEGIN CERTIFICATE-----\n${otherLeaf.toString('base64')}\n-----END CERTIFICATE-----\n`).copy(mine);
    const swapped = verifyEvidence(input(VALID, REPORT, mine));
    expect(swapped).toEqual(cold(input(VALID, REPORT, Buffer.from(mine))));
    expect(swapped.verified).toBe(false);
    expect(failing(swapped)).toContain('snp.signature');

    // a DER VCEK alone: the chain is completed from the shipped ASK/ARK, as before
    const derOnly = cold(input(VALID, REPORT, vcekDer));
    expect(verifyEvidence(input(VALID, REPORT, vcekDer))).toEqual(derOnly);
    expect(derOnly.verified).toBe(true);
  });

  it('reports an unparsable certificate the same way cold and warm', () => {
    const broken = flipped(certificatesFrom(BUNDLE)[0]!, 40);
    const first = cold(input(VALID, REPORT, broken));
    expect(verifyEvidence(input(VALID, REPORT, broken))).toEqual(first);
    expect(verifyEvidence(input(VALID, REPORT, broken))).toEqual(first);
    expect(first.verified).toBe(false);
  });
});
