// root_of_trust.check_crl: the CRL must be signed by the chain's ARK, be current, and not list a chain certificate.
import { constants, sign } from 'node:crypto';
import { verifyEvidence } from '../../../src/attestation';
import { children, encoded, readNode } from '../../../src/attestation/asn1/der-reader';
import { bitString, explicit, nul, oid, seq, time, uint } from '../../../src/sandbox/evidence/der-writer';
import { type SandboxAmdChain, createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';

const PSS = seq(oid('1.2.840.113549.1.1.10'), seq(explicit(0, seq(oid('2.16.840.1.101.3.4.2.2'), nul())), explicit(1, seq(oid('1.2.840.113549.1.1.8'), seq(oid('2.16.840.1.101.3.4.2.2'), nul()))), explicit(2, uint(48))));

function crl(chain: SandboxAmdChain, revoked: bigint[], thisUpdate: number, nextUpdate: number): Buffer {
  const issuer = encoded(children(children(readNode(chain.ark.der, 0))[0]!)[3]!); // the ARK's subject, byte for byte
  const entries = revoked.length ? [seq(...revoked.map((s) => seq(uint(s), time(thisUpdate))))] : [];
  const tbs = seq(uint(1), PSS, issuer, time(thisUpdate), time(nextUpdate), ...entries);
  return seq(tbs, PSS, bitString(sign('sha384', tbs, { key: chain.ark.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 })));
}

test('CRL checks: required, signed by the ARK, current, and revocations named', async () => {
  const chain = await createSandboxAmdChain({ arkBits: 2048, askBits: 2048 });
  const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('crl') });
  const policy = JSON.stringify({ ...ev.policy, root_of_trust: { product_line: 'Milan', check_crl: true } });
  const trust = { extraArks: [ev.rootPem], allowSandbox: true };
  const t = chain.notBefore + 3_600_000;
  const run = (crls: Buffer[], at = t) => verifyEvidence({ evidence: ev.attestation, policy, at, trust, collateral: { crls } });

  expect(run([]).failures).toEqual(['snp.crl']);
  expect(run([]).checks.find((c) => c.name === 'snp.crl')!.actual).toBe('no CRL in the collateral');
  const clean = run([crl(chain, [], t - 1000, t + 86_400_000)]);
  expect(clean.verified).toBe(true);
  // the default VCEK has serial 3
  const revoked = run([crl(chain, [3n], t - 1000, t + 86_400_000)]);
  expect(revoked.failures).toEqual(['snp.crl']);
  expect(revoked.checks.find((c) => c.name === 'snp.crl')!.actual).toMatch(/revoked: SEV-VCEK serial 03/);
  expect(run([crl(chain, [], t - 1000, t + 1000)], t + 5000).failures).toEqual(['snp.crl.validity']);
  const forged = crl(chain, [], t - 1000, t + 86_400_000);
  forged[forged.length - 1]! ^= 1;
  expect(run([forged]).checks.find((c) => c.name === 'snp.crl')!.actual).toBe('no CRL verifies with that ARK');
});
