// The two attestation endpoints beyond the docs: the real client against the sandbox, the sandbox's dstack evidence
// verified through our own verifier (sandbox TDX root trusted explicitly), each attestation fault, and the activities.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPhalaActivities } from '../../../../src/activities/phala';
import { createPhalaAttestationActivities } from '../../../../src/activities/phala-attestation';
import { verifyDstackAttestation, type Verdict } from '../../../../src/attestation';
import type { DstackPolicyInput } from '../../../../src/attestation/dstack/policy';
import { sandboxOsImageHash } from '../../../../src/sandbox/phala/attestation';
import { createCvm, eventually, raw, startRig, type Rig } from './helpers';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});
afterEach(() => rig.sandbox.clearAttestationFaults());

const COMPOSE = 'services:\n  app:\n    image: nginx:1.27\n';

/** A running CVM and the policy that says "this is ours". */
async function runningCvm() {
  const { provision, cvm } = await createCvm(rig.client, { compose_file: { docker_compose_file: COMPOSE, public_tcbinfo: true } });
  await eventually(() => rig.sandbox.stateOf(cvm.vm_uuid!)?.status === 'running' && !rig.sandbox.stateOf(cvm.vm_uuid!)?.inProgress);
  const policy: DstackPolicyInput = {
    composeHash: provision.compose_hash,
    dockerComposeFile: COMPOSE,
    appId: cvm.app_id!,
    instanceId: cvm.instance_id!,
    vmUuid: cvm.vm_uuid!,
    keyProvider: { name: 'kms', id: rig.sandbox.kmsRootKeyId() },
    allowedOsImageHashes: [sandboxOsImageHash(cvm.base_image!)],
  };
  return { provision, cvm, policy };
}

function verify(attestation: unknown, policy: DstackPolicyInput, trusted = true): Verdict {
  const at = new Date(Date.now() + 60_000);
  return verifyDstackAttestation({ attestation, policy, collateral: rig.sandbox.sandboxTdxCollateral(), at, trust: trusted ? { extraArks: [rig.sandbox.sandboxTdxRootPem()], allowSandbox: true } : {} });
}

const refused = (v: Verdict) => v.checks.filter((c) => c.result === 'fail' && !c.undetermined).map((c) => c.name);

test('both endpoints serve evidence that verifies through our verifier, with the sandbox root trusted', async () => {
  const { cvm, policy } = await runningCvm();
  const perCvm = await rig.client.getCvmAttestation({ id: cvm.vm_uuid! });
  expect(perCvm).toMatchObject({ is_online: true, error: null, app_certificates: [{ position_in_chain: 0 }, { position_in_chain: 1, quote: null }] });
  const perApp = await rig.client.getAppAttestations(cvm.app_id!);
  expect(perApp.instances).toHaveLength(1);
  expect(perApp.instances[0]).toMatchObject({ vm_uuid: cvm.vm_uuid, instance_id: cvm.instance_id, image_version: cvm.base_image });

  for (const attestation of [perCvm, perApp]) {
    const v = verify(attestation, policy);
    expect([v.result, v.summary]).toEqual(['verified', expect.stringMatching(/^verified: dstack/)]);
    expect(v.measurements['tdx.root']).toBe('sandbox (NOT Intel)');
    expect(v.keyChain.map((c) => c.role)).toEqual(['pck', 'pck-ca', 'sandbox-root']);
    for (const name of ['tdx.dcap', 'dstack.rtmr3', 'dstack.compose_hash', 'dstack.app_compose', 'dstack.app_compose.docker_compose_file', 'dstack.instance_id', 'dstack.key_provider', 'dstack.os_image_hash', 'dstack.mr_config_id', 'dstack.tcb_info.registers']) {
      expect([name, v.checks.find((c) => c.name === name)?.result]).toEqual([name, 'pass']);
    }
  }
  // The same evidence without trusting the sandbox root: refused, and the root is named
  const untrusted = verify(perApp, policy, false);
  expect(untrusted.result).toBe('failed');
  expect(refused(untrusted)).toContain('tdx.chain.root');
});

test('the per-app endpoint needs no API key; an unknown app is a 500 ("not found or currently down")', async () => {
  const { cvm } = await runningCvm();
  const open = await raw(rig.url, `/apps/${cvm.app_id}/attestations`);
  expect(open.status).toBe(200);
  expect((open.json as { instances: unknown[] }).instances).toHaveLength(1);
  expect((await raw(rig.url, `/apps/${'0'.repeat(40)}/attestations`)).status).toBe(500);
  expect((await raw(rig.url, `/cvms/${cvm.vm_uuid}/attestation`)).status).toBe(401);
});

test('a stopped CVM: is_online false with nulls (per-CVM), null quote and tcb_info (per-app): undetermined, never failed', async () => {
  const { cvm, policy } = await runningCvm();
  await rig.client.stopCvm({ id: cvm.vm_uuid! });
  const perCvm = await rig.client.getCvmAttestation({ id: cvm.vm_uuid! });
  expect(perCvm).toMatchObject({ is_online: false, tcb_info: null, app_certificates: null, error: expect.stringMatching(/not running/) });
  const perApp = await rig.client.getAppAttestations(cvm.app_id!);
  expect(perApp.instances[0]).toMatchObject({ quote: null, tcb_info: null, image_version: null });
  for (const a of [perCvm, perApp]) {
    const v = verify(a, policy);
    expect(v.result).toBe('undetermined');
    expect(v.checks.find((c) => c.name === 'dstack.evidence.quote')).toMatchObject({ result: 'fail', undetermined: true });
  }
});

test.each([
  ['wrong-compose-hash', ['dstack.compose_hash', 'dstack.app_compose', 'dstack.app_compose.docker_compose_file']],
  ['tampered-payload', ['dstack.rtmr3', 'dstack.event_log.digests', 'dstack.mr_config_id']],
  ['rtmr-mismatch', ['dstack.rtmr3']],
] as const)('fault %s: both endpoints fail verification naming %j', async (fault, names) => {
  const { cvm, policy } = await runningCvm();
  rig.sandbox.setAttestationFault({ cvm: cvm.name, fault });
  for (const attestation of [await rig.client.getCvmAttestation({ id: cvm.vm_uuid! }), await rig.client.getAppAttestations(cvm.app_id!)]) {
    const v = verify(attestation, policy);
    expect(v.result).toBe('failed');
    expect(refused(v).sort()).toEqual([...names].sort());
    expect(v.checks.find((c) => c.name === 'tdx.dcap')?.result).toBe('pass'); // a genuine quote, a wrong story
  }
});

test('fault offline (set through the admin API, cleared with DELETE): evidence unavailable, then back', async () => {
  const { cvm, policy } = await runningCvm();
  const admin = (method: string, body?: unknown) => raw(rig.url.replace(/\/api\/v1$/, ''), '/_sandbox/phala/attestation-fault', { method, body });
  expect((await admin('POST', { fault: 'melted' })).status).toBe(400);
  expect((await admin('POST', { cvm: cvm.vm_uuid, fault: 'offline' })).json).toEqual({ attestation_faults: [{ cvm: cvm.vm_uuid, fault: 'offline' }] });
  expect(await rig.client.getCvmAttestation({ id: cvm.vm_uuid! })).toMatchObject({ is_online: false, tcb_info: null });
  expect(verify(await rig.client.getAppAttestations(cvm.app_id!), policy).result).toBe('undetermined');
  await admin('DELETE');
  expect(verify(await rig.client.getAppAttestations(cvm.app_id!), policy).result).toBe('verified');
});

test('a fault named for one CVM leaves the others alone', async () => {
  const a = await runningCvm();
  const b = await runningCvm();
  rig.sandbox.setAttestationFault({ cvm: a.cvm.name, fault: 'rtmr-mismatch' });
  expect(verify(await rig.client.getAppAttestations(a.cvm.app_id!), a.policy).result).toBe('failed');
  expect(verify(await rig.client.getAppAttestations(b.cvm.app_id!), b.policy).result).toBe('verified');
});

test('activities: phalaGetCvmAttestation / phalaGetAppAttestations return the evidence as plain JSON; bad input names the field', async () => {
  const { cvm } = await runningCvm();
  const acts = createPhalaActivities(rig.client);
  const perCvm = await acts.phalaGetCvmAttestation({ uuid: cvm.vm_uuid! });
  const perApp = await acts.phalaGetAppAttestations({ app_id: `0x${cvm.app_id}` });
  for (const v of [perCvm, perApp]) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  expect(perApp.instances[0]!.vm_uuid).toBe(cvm.vm_uuid);
  await expect(acts.phalaGetAppAttestations({ app_id: 'nope' })).rejects.toMatchObject({ type: 'InvalidActivityInput', message: expect.stringMatching(/app_id: app_id must be 40 hex/) });
});

test('verifyPhalaAttestation fetches (per app by default, or per CVM), trusts the sandbox only when told, and returns every result', async () => {
  const { cvm, policy } = await runningCvm();
  const at = new Date(Date.now() + 60_000).toISOString();
  const trusted = createPhalaAttestationActivities({ phala: rig.client, sandboxAttestationRoot: () => rig.sandbox.sandboxTdxRootPem(), sandboxTdxCollateral: () => rig.sandbox.sandboxTdxCollateral() });
  expect((await trusted.verifyPhalaAttestation({ expected: policy, at })).result).toBe('verified');
  expect((await trusted.verifyPhalaAttestation({ expected: policy, at, fetch: 'cvm', cvmId: cvm.vm_uuid! })).result).toBe('verified');
  const given = await rig.client.getAppAttestations(cvm.app_id!);
  expect((await trusted.verifyPhalaAttestation({ attestation: given, expected: policy, at })).result).toBe('verified');
  expect((await trusted.verifyPhalaAttestation({ expected: { ...policy, composeHash: 'ab'.repeat(32), dockerComposeFile: undefined }, at })).result).toBe('failed');

  // A worker that runs no sandbox: the root is not trusted, and Intel PCS has no collateral for the sandbox FMSPC
  const plain = createPhalaAttestationActivities({ phala: rig.client });
  const v = await plain.verifyPhalaAttestation({ expected: policy, at });
  expect(v.result).toBe('failed');
  expect(refused(v)).toEqual(['tdx.chain.root']);
  // Trusted root but no collateral anywhere: could not check, not a no
  const noCollateral = createPhalaAttestationActivities({ phala: rig.client, sandboxAttestationRoot: () => rig.sandbox.sandboxTdxRootPem() });
  const u = await noCollateral.verifyPhalaAttestation({ expected: policy, at });
  expect(u.result).toBe('undetermined');
  expect(u.checks.find((c) => c.name === 'tdx.dcap')).toMatchObject({ undetermined: true, actual: 'no TDX collateral supplied' });

  await expect(trusted.verifyPhalaAttestation({ expected: { ...policy, appId: 'xyz' }, at })).rejects.toMatchObject({ type: 'InvalidActivityInput', message: expect.stringMatching(/expected\.appId: appId: expected 20 bytes of hex/) });
  await expect(trusted.verifyPhalaAttestation({ expected: policy, at, fetch: 'cvm' })).rejects.toMatchObject({ message: expect.stringMatching(/cvmId: fetch 'cvm' needs cvmId/) });
});

test('a sandbox outside the worker: root from a file (CVMFLOW_TRUST_SANDBOX_ROOT_FILE), collateral from the cache folder (CVMFLOW_COLLATERAL_DIR)', async () => {
  const { policy } = await runningCvm();
  const info = (await raw(rig.url.replace(/\/api\/v1$/, ''), '/_sandbox/phala/tdx-root')).json as { root_pem: string; cache_path: string; collateral: unknown; fmspc: string };
  expect(info).toMatchObject({ fmspc: 'C0FFEE000000', cache_path: 'intel/tdx-C0FFEE000000-platform.json' });
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'phala-collateral-'));
  try {
    mkdirSync(path.join(cacheDir, 'intel'));
    writeFileSync(path.join(cacheDir, info.cache_path), JSON.stringify(info.collateral));
    const acts = createPhalaAttestationActivities({ phala: rig.client, sandboxAttestationRoot: () => info.root_pem, collateral: { cacheDir, allowNetwork: false } });
    expect((await acts.verifyPhalaAttestation({ expected: policy, at: new Date(Date.now() + 60_000).toISOString() })).result).toBe('verified');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
