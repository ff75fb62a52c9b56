// runAttestVerify: exit codes, readable and JSON output, one clear line for usage errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VerdictSchema } from '../../../src/attestation';
import { runAttestVerify } from '../../../src/client/cli/attest';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';
import { vectorPath } from './vectors';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'attest-cli-'));
  writeFileSync(path.join(dir, 'empty-policy.json'), '{}');
  writeFileSync(path.join(dir, 'bad-policy.json'), '{"policy":{"vmpl":"two"}}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAttestVerify(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

test('exit 0 and ✔ lines for a verified report (VCEK given with --cert)', async () => {
  const r = await run('verify', '--evidence', vectorPath('snp-milan-trustee', 'test-report.bin'), '--policy', path.join(dir, 'empty-policy.json'), '--cert', vectorPath('snp-milan-trustee', 'test-vcek.der'), '--at', '2026-11-22T00:00:00Z');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^✔ snp\.signature: valid$/m);
  expect(r.out).toMatch(/^✔ verified: sev-snp snp-report/m);
  expect(r.out).toMatch(/key chain: vcek=CN=SEV-VCEK ← ask=CN=SEV-Milan ← ark=CN=ARK-Milan/);
});

test('exit 1 with ✘ for the failing check; --json prints a schema-valid verdict', async () => {
  const args = ['--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', vectorPath('cocos', 'attestation_policy.v0.8.2.json'), '--at=2026-11-22T00:00:00Z'];
  const text = await run('verify', ...args);
  expect(text.code).toBe(1);
  expect(text.out).toMatch(/^✘ snp\.signature: expected report signed by the chip's VCEK, got no VCEK certificate available/m);
  expect(text.out).toMatch(/^✔ snp\.policy\.measurement: a03628e1/m);
  expect(text.out).toMatch(/^✘ NOT verified: 1 of \d+ checks failed \(snp\.signature\)$/m);
  const json = await run('verify', ...args, '--json');
  expect(json.code).toBe(1);
  const verdict = VerdictSchema.parse(JSON.parse(json.out));
  expect(verdict.failures).toEqual(['snp.signature']);
});

test('TDX with --collateral JSON, and the Cocos TDX policy RTMR mismatch', async () => {
  const base = ['--evidence', vectorPath('tdx-dcap-qvl', 'tdx_quote'), '--collateral', vectorPath('tdx-dcap-qvl', 'tdx_quote_collateral.json'), '--at', '2025-07-01T00:00:00Z'];
  expect((await run('verify', ...base, '--policy', path.join(dir, 'empty-policy.json'))).code).toBe(0);
  const r = await run('verify', ...base, '--policy', vectorPath('cocos', 'attestation_policy_tdx.v0.8.2.json'));
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^✘ tdx\.policy\.rtmr0: expected 4cffed58/m);
});

test('--trust-sandbox-root admits sandbox evidence; without it the untrusted root is named', async () => {
  const chain = await createSandboxAmdChain({ arkBits: 2048, askBits: 2048 });
  const ev = issueSandboxSnpEvidence(chain, { reportData: Buffer.from('cli') });
  writeFileSync(path.join(dir, 'sandbox.bin'), ev.attestation.toString('base64'));
  writeFileSync(path.join(dir, 'sandbox-policy.json'), JSON.stringify(ev.policy));
  writeFileSync(path.join(dir, 'sandbox-root.pem'), ev.rootPem);
  const at = new Date(chain.notBefore + 3_600_000).toISOString();
  const args = ['verify', '--evidence', path.join(dir, 'sandbox.bin'), '--policy', path.join(dir, 'sandbox-policy.json'), '--at', at];
  expect((await run(...args, '--trust-sandbox-root', path.join(dir, 'sandbox-root.pem'))).code).toBe(0);
  const untrusted = await run(...args);
  expect(untrusted.code).toBe(1);
  expect(untrusted.out).toMatch(/^✘ snp\.chain\.root_trusted: .*ARK-Sandbox .* is not a trusted root/m);
  expect((await run(...args, '--trust-sandbox-root', path.join(dir, 'sandbox-policy.json'))).code).toBe(2);
});

test.each([
  [[], /--evidence is required/],
  [['verify', '--evidence', 'x'], /--policy is required/],
  [['frobnicate'], /unknown subcommand "frobnicate"/],
  [['verify', '--evidence', '/nonexistent/evidence.bin', '--policy', '/nonexistent/p.json'], /^attest verify: --evidence \/nonexistent\/evidence\.bin: cannot read file \(ENOENT\)\n$/],
  [['verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', '/nonexistent/p.json'], /--policy \/nonexistent\/p\.json: cannot read file/],
  [['verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', 'BAD'], /--policy BAD: cannot read file/],
  [['verify', '--bogus'], /unknown option --bogus/],
  [['verify', '--evidence'], /--evidence needs a value/],
  [['verify', '--evidence', 'a', '--policy', 'b', '--at', 'soon'], /--at: not an ISO time: soon/],
  [['verify', '--evidence', 'a', '--policy', 'b', '--nonce', 'xyz'], /--nonce must be 1-64 bytes of hex/],
])('exit 2 for bad usage %j', async (argv, message) => {
  const r = await run(...argv);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(message);
  expect(r.err.trim().split('\n')).toHaveLength(1);
});

test('exit 2 for a policy that does not parse, naming the field', async () => {
  const r = await run('verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', path.join(dir, 'bad-policy.json'));
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--policy .*bad-policy\.json: not a valid attestation policy: policy\.vmpl: not an unsigned integer: two/);
});

test('exit 2 for a pinned policy with a misspelt key, naming it and the field meant', async () => {
  const file = path.join(dir, 'typo-policy.json');
  writeFileSync(file, JSON.stringify({ policy: { measurment: Buffer.alloc(48).toString('base64') }, root_of_trust: { product_line: 'Milan' } }));
  const r = await run('verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', file);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--policy .*typo-policy\.json: not a valid attestation policy: policy\.measurment: not a policy field \(did you mean measurement\?/);
});

test('--help prints usage and exits 0', async () => {
  const r = await run('verify', '--help');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^usage: attest verify --evidence F --policy P/);
});
