// `cvmflow attest verify --json` on Phala / dstack JSON: each shared vector's README verdict at its fixed time, the
// identity from --expect or flags, sandbox evidence with --trust-sandbox-root, and usage errors naming the field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VerdictSchema } from '../../../../src/attestation';
import { runAttestVerify } from '../../../../src/client/cli/attest';
import { main } from '../../../../src/client/cli/main';
import { createPhalaSandbox } from '../../../../src/sandbox/phala';
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { createCvm, eventually } from '../../providers/phala/helpers';
import { PhalaClient } from '../../../../src/providers/phala/client';
import { vectorPath } from '../vectors';

let dir: string;
const file = (name: string, content: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'attest-dstack-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAttestVerify(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

const COLLATERAL_90C06F = vectorPath('tdx-dcap-qvl', 'tdx_quote_outdated_collateral.json');

test('cvmflow attest verify --json: dstack-quote-report is verified at 2026-03-01 (exit 0)', async () => {
  const expect1 = file('v1.json', { composeHash: '3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7', appId: '3763bc34552cf3a27ff71ad5f7a90471562a1a2d', instanceId: 'c3714eb66990eace777b4e664c16e09375dec4c9', keyProvider: { name: 'local-sgx' } });
  let out = '';
  let err = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {} };
  const code = await main(['attest', 'verify', '--evidence', vectorPath('phala', 'dstack-quote-report.json'), '--expect', expect1, '--collateral', COLLATERAL_90C06F, '--at', '2026-03-01T00:00:00Z', '--json'], io as never);
  expect([code, err]).toEqual([0, '']);
  const v = VerdictSchema.parse(JSON.parse(out));
  expect([v.result, v.format, v.tcb.status]).toEqual(['verified', 'dstack', 'UpToDate']);
  expect(v.measurements.rtmr3).toBe('0f787c3877f3e95095d5a4d13dd0fe0233803b30120d8469866719dc28f519ce021fe1e53459121e7a5a4443147185a8');
});

test('dstack-tdx-lite-getquote: undetermined (no usable collateral), exit 1, the unchecked checks marked "?"', async () => {
  const args = ['verify', '--evidence', vectorPath('phala', 'dstack-tdx-lite-getquote.json'), '--compose-hash', '86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9', '--app-id', '86b0e55f2fa8e4fb69d890f14f54d5612707646e', '--instance-id', '050bf89570575fe8fab4cb8f0a62a9e64efe8ead', '--collateral', COLLATERAL_90C06F, '--at', '2026-05-01T00:00:00Z'];
  const json = await run(...args, '--json');
  expect(json.code).toBe(1);
  const v = VerdictSchema.parse(JSON.parse(json.out));
  expect([v.result, v.checks.find((c) => c.name === 'dstack.rtmr3')?.result]).toEqual(['undetermined', 'pass']);
  const text = await run(...args);
  expect(text.out).toMatch(/^\? tdx\.dcap: could not check: .*got TCBInfo expired/m);
  expect(text.out).toMatch(/^✔ dstack\.rtmr3: 6f24c170/m);
  expect(text.out).toMatch(/^result: undetermined$/m);
});

test('near-mpc public_data: verified at 2026-08-13T12:00Z with the collateral it carries (exit 0); --instance-id none', async () => {
  const r = await run('verify', '--evidence', vectorPath('phala', 'near-mpc-public_data.json'), '--compose-hash', '2911e1f733466216dedb862d6d669e11256ee7a34ce4dbc66c4b807ba7a9c895', '--app-id', '0x2911e1f733466216dedb862d6d669e11256ee7a3', '--instance-id', 'none', '--key-provider', 'local-sgx', '--at', '2026-08-13T12:00:00Z', '--json');
  expect([r.code, r.err]).toEqual([0, '']);
  expect(VerdictSchema.parse(JSON.parse(r.out)).result).toBe('verified');
  // flags override the --expect file: the wrong compose hash there is replaced, a wrong one given by flag fails
  const expectFile = file('v3.json', { composeHash: '00'.repeat(32), appId: '2911e1f733466216dedb862d6d669e11256ee7a3', instanceId: '', keyProvider: { name: 'local-sgx' } });
  const base = ['verify', '--evidence', vectorPath('phala', 'near-mpc-public_data.json'), '--expect', expectFile, '--at', '2026-08-13T12:00:00Z'];
  expect((await run(...base)).code).toBe(1);
  expect((await run(...base, '--compose-hash', '2911e1f733466216dedb862d6d669e11256ee7a34ce4dbc66c4b807ba7a9c895')).code).toBe(0);
  const different = await run(...base, '--app-compose', file('other-compose.json', '{"name":"not ours"}'));
  expect(different.code).toBe(1);
  expect(different.out).toMatch(/^✘ dstack\.compose_hash: expected /m);
});

test('sandbox Phala evidence verifies only with --trust-sandbox-root', async () => {
  const sandbox = createPhalaSandbox({ clock: new SandboxClock(1000) });
  const url = await sandbox.server.listen(0, '127.0.0.1');
  const client = new PhalaClient({ baseUrl: url, apiKey: sandbox.apiKey });
  try {
    const { provision, cvm } = await createCvm(client, { compose_file: { docker_compose_file: 'services: {}\n', public_tcbinfo: true } });
    await eventually(() => sandbox.stateOf(cvm.vm_uuid!)?.status === 'running');
    const evidence = file('phala-app.json', await client.getAppAttestations(cvm.app_id!));
    writeFileSync(path.join(dir, 'collateral.json'), JSON.stringify(sandbox.sandboxTdxCollateral()));
    const root = file('tdx-root.pem', sandbox.sandboxTdxRootPem());
    const args = ['verify', '--evidence', evidence, '--compose-hash', provision.compose_hash, '--app-id', cvm.app_id!, '--vm-uuid', cvm.vm_uuid!, '--key-provider', `kms:${sandbox.kmsRootKeyId()}`, '--collateral', path.join(dir, 'collateral.json'), '--at', new Date(Date.now() + 60_000).toISOString()];
    const trusted = await run(...args, '--trust-sandbox-root', root);
    expect([trusted.code, trusted.err]).toEqual([0, '']);
    expect(trusted.out).toMatch(/^✔ tdx\.chain\.root: cvmflow sandbox TDX Root CA \(NOT Intel\)/m);
    const untrusted = await run(...args);
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toMatch(/^✘ tdx\.chain\.root: expected the Intel SGX Root CA, or a sandbox root trusted explicitly, got the chain ends at cvmflow sandbox TDX Root CA/m);
  } finally {
    await client.close();
    await sandbox.server.close();
  }
});

test.each([
  [['verify', '--evidence', vectorPath('phala', 'dstack-quote-report.json')], /--policy is required \(for Phala \/ dstack JSON evidence: --expect or --compose-hash and --app-id\)/],
  [['verify', '--evidence', vectorPath('phala', 'dstack-quote-report.json'), '--compose-hash', 'abc', '--app-id', '3763bc34552cf3a27ff71ad5f7a90471562a1a2d'], /identity flags: not a valid dstack policy: composeHash: composeHash: expected 32 bytes of hex/],
  [['verify', '--evidence', vectorPath('phala', 'dstack-quote-report.json'), '--compose-hash', 'ab'.repeat(32)], /appId: .*expected string/i],
  [['verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--compose-hash', 'ab'.repeat(32), '--app-id', 'ab'.repeat(20)], /--policy is required: --expect and the identity flags apply only to Phala \/ dstack JSON evidence/],
])('exit 2 for bad dstack usage %#', async (argv, message) => {
  const r = await run(...argv);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err.trim().split('\n')).toHaveLength(1);
});

test('--expect that is not a JSON object names the file', async () => {
  const r = await run('verify', '--evidence', vectorPath('phala', 'dstack-quote-report.json'), '--expect', file('bad.json', '[1,2]'));
  expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--expect .*bad\.json: not a dstack policy JSON object \(not a JSON object\)/)]);
});
