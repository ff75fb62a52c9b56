// Sandbox evidence goes through the real parsers and verifiers, and verifies only when its root is trusted explicitly.
import { X509Certificate } from 'node:crypto';
import { parsePolicy, verifyEvidence } from '../../../src/attestation';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';
import { parseCertTable } from '../../../src/attestation/snp/cert-table';
import { parseSnpReport } from '../../../src/attestation/snp/report';

let chain: Awaited<ReturnType<typeof createSandboxAmdChain>>;
beforeAll(async () => {
  chain = await createSandboxAmdChain();
}, 30_000);
const at = (): Date => new Date(chain.notBefore + 86_400_000);

test('the default chain is AMD-shaped: RSA-4096 ARK/ASK with RSA-PSS, P-384 VCEK, cached per process', async () => {
  const ark = new X509Certificate(chain.ark.der);
  const ask = new X509Certificate(chain.ask.der);
  const vcek = new X509Certificate(chain.vcek.der);
  expect(ark.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
  expect(ask.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
  expect(vcek.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  expect(ark.verify(ark.publicKey) && ask.verify(ark.publicKey) && vcek.verify(ask.publicKey)).toBe(true);
  expect(ark.subject).toContain('NOT AMD');
  expect(await createSandboxAmdChain()).toBe(chain);
});

test('issued evidence is a raw v3 Milan report followed by a VCEK/ASK/ARK cert table, with a matching snake_case policy', () => {
  const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('hello') });
  const report = parseSnpReport(ev.attestation);
  expect(report.version).toBe(3);
  expect(report.cpuid).toEqual({ family: 0x19, model: 0x01, stepping: 0 });
  expect(report.reportData.subarray(0, 5).toString()).toBe('hello');
  expect(parseCertTable(ev.attestation.subarray(0x4a0)).map((e) => e.role)).toEqual(['vcek', 'ask', 'ark']);
  expect(Object.keys(ev.policy)).toEqual(['policy', 'root_of_trust']);
  expect(parsePolicy(JSON.stringify(ev.policy)).kind).toBe('snp');
  expect(ev.rootPem).toBe(chain.ark.pem);
});

test('verifies only with the sandbox root passed explicitly as trusted', () => {
  const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.alloc(64, 7), measurement: Buffer.alloc(48, 1), hostData: Buffer.alloc(32, 2) });
  const policy = JSON.stringify(ev.policy);
  const trusted = verifyEvidence({ evidence: ev.attestation, policy, at: at(), trust: { extraArks: [ev.rootPem], allowSandbox: true } });
  expect(trusted.verified).toBe(true);
  expect(trusted.keyChain.map((c) => c.source)).toEqual(['evidence:cert-table:vcek', 'evidence:cert-table:ask', 'trust:extra-ark']);
  expect(trusted.binding.kind).toBe('policy-report-data');

  for (const trust of [undefined, { extraArks: [ev.rootPem] }, { allowSandbox: true }]) {
    const v = verifyEvidence({ evidence: ev.attestation, policy, at: at(), trust });
    expect(v.verified).toBe(false);
    expect(v.failures).toEqual(['snp.chain.root_trusted']);
    const c = v.checks.find((x) => x.name === 'snp.chain.root_trusted')!;
    expect(c.actual).toMatch(/ARK-Sandbox .* is not a trusted root/);
    expect(c.detail).toMatch(/untrusted root .*CN=ARK-Sandbox/);
  }
});

test('other chips and TCBs get their own VCEK, reused on the next issuance', () => {
  const chipId = Buffer.alloc(64, 0x42);
  const tcb = { bl: 4, tee: 0, snp: 22, ucode: 200 };
  const a = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('a'), chipId, tcb, vmpl: 0, guestSvn: 3 });
  const b = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('b'), chipId, tcb });
  const tableA = parseCertTable(a.attestation.subarray(0x4a0));
  const tableB = parseCertTable(b.attestation.subarray(0x4a0));
  expect(tableA[0]!.data).toEqual(tableB[0]!.data);
  expect(tableA[0]!.data).not.toEqual(chain.vcek.der);
  const v = verifyEvidence({ evidence: a.attestation, policy: JSON.stringify(a.policy), at: at(), trust: { extraArks: [a.rootPem], allowSandbox: true } });
  expect(v.verified).toBe(true);
  expect(v.tcb.reported).toEqual({ bl: '4', tee: '0', snp: '22', ucode: '200' });
});

test('sandbox evidence is rejected outside its certificates validity, like any other', () => {
  const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('x') });
  const v = verifyEvidence({ evidence: ev.attestation, at: new Date(chain.notBefore - 1000), trust: { extraArks: [ev.rootPem], allowSandbox: true } });
  expect(v.failures).toEqual(['snp.cert.vcek.validity', 'snp.cert.ask.validity', 'snp.cert.ark.validity']);
});
