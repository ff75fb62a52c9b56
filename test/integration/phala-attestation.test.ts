// verifyPhalaAttestation and the two attestation endpoint activities on a real Temporal worker against the Phala
// sandbox: registered by createActivities, a verdict of every result comes back as data, the sandbox root is
// trusted only because this worker runs the sandbox, and a stopped CVM is undetermined rather than failed.
import { createActivities } from '../../src/activities';
import { PhalaClient } from '../../src/providers/phala/client';
import { SandboxClock } from '../../src/sandbox/http/clock';
import { createPhalaSandbox, type PhalaSandbox } from '../../src/sandbox/phala';
import type { Verdict } from '../../src/attestation';
import { connectTestTemporal, createTestWorker, unique, type TestTemporal } from '../support/temporal';
import type { CallActivityOutcome } from '../support/workflows/call-activity';

let t: TestTemporal;
let sandbox: PhalaSandbox;
let client: PhalaClient;

beforeAll(async () => {
  t = await connectTestTemporal();
  sandbox = createPhalaSandbox({ clock: new SandboxClock(1000) });
  client = new PhalaClient({ baseUrl: await sandbox.server.listen(), apiKey: sandbox.apiKey });
});
afterAll(async () => {
  await client.close();
  await sandbox.server.close();
  await t.close();
});

async function call(activities: object, name: string, args: unknown[]): Promise<CallActivityOutcome> {
  const taskQueue = unique('phala-attest');
  const worker = await createTestWorker(t, { taskQueue, activities });
  return worker.runUntil(
    t.client.workflow.execute('callActivity', { taskQueue, workflowId: unique('call'), args: [name, args, { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 3 }] }),
  ) as Promise<CallActivityOutcome>;
}

async function runningCvm() {
  const compose = 'services:\n  web:\n    image: caddy:2\n';
  const p = await client.provisionCvm({ name: unique('attest').replace(/-/g, 'x'), compose_file: { docker_compose_file: compose, public_tcbinfo: true }, vcpu: 1, memory: 2048, teepod_id: 3 });
  const cvm = await client.commitCvm({ app_id: p.app_id!, compose_hash: p.compose_hash });
  for (let i = 0; i < 200 && sandbox.stateOf(cvm.vm_uuid!)?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
  return { cvm, expected: { composeHash: p.compose_hash, dockerComposeFile: compose, appId: cvm.app_id!, instanceId: cvm.instance_id!, vmUuid: cvm.vm_uuid!, keyProvider: { name: 'kms' as const, id: sandbox.kmsRootKeyId() } } };
}

const workerInfo = { taskQueue: 'x', providers: { phala: 'sandbox' as const, prism: 'disabled' as const, cudo: 'disabled' as const } };

test('a running sandbox CVM is verified; the verdict (with the attestation summary) is the activity result', async () => {
  const { expected } = await runningCvm();
  const activities = createActivities({ workerInfo, phala: client, sandboxAttestationRoot: () => sandbox.sandboxTdxRootPem(), sandboxTdxCollateral: () => sandbox.sandboxTdxCollateral() });
  const at = new Date(Date.now() + 60_000).toISOString();
  const out = await call(activities, 'verifyPhalaAttestation', [{ expected, at }]);
  expect(out.ok).toBe(true);
  const v = out.result as Verdict;
  expect([v.result, v.verified, v.format]).toEqual(['verified', true, 'dstack']);
  expect(v.measurements).toMatchObject({ 'dstack.compose_hash': expected.composeHash, 'dstack.app_id': expected.appId, 'dstack.api.vm_uuid': expected.vmUuid, 'tdx.root': 'sandbox (NOT Intel)' });

  sandbox.setAttestationFault({ cvm: expected.vmUuid, fault: 'tampered-payload' });
  try {
    const bad = (await call(activities, 'verifyPhalaAttestation', [{ expected, at }])).result as Verdict;
    expect(bad.result).toBe('failed');
    expect(bad.checks.filter((c) => c.result === 'fail').map((c) => c.name)).toContain('dstack.rtmr3');
  } finally {
    sandbox.clearAttestationFaults();
  }
});

test('the endpoint activities are registered; a stopped CVM gives an undetermined verdict, not a failure', async () => {
  const { cvm, expected } = await runningCvm();
  const activities = createActivities({ workerInfo, phala: client, sandboxAttestationRoot: () => sandbox.sandboxTdxRootPem(), sandboxTdxCollateral: () => sandbox.sandboxTdxCollateral() });
  const perApp = await call(activities, 'phalaGetAppAttestations', [{ app_id: cvm.app_id }]);
  expect(perApp).toMatchObject({ ok: true, result: { instances: [{ vm_uuid: cvm.vm_uuid }] } });
  await client.stopCvm({ id: cvm.vm_uuid! });
  const perCvm = await call(activities, 'phalaGetCvmAttestation', [{ id: cvm.vm_uuid }]);
  expect(perCvm).toMatchObject({ ok: true, result: { is_online: false } });
  const v = (await call(activities, 'verifyPhalaAttestation', [{ expected, fetch: 'cvm', cvmId: cvm.vm_uuid, at: new Date().toISOString() }])).result as Verdict;
  expect(v.result).toBe('undetermined');
});

test('on a worker that does not run the sandbox (no trusted root), the same evidence fails, naming the root', async () => {
  const { expected } = await runningCvm();
  const activities = createActivities({ workerInfo, phala: client });
  const v = (await call(activities, 'verifyPhalaAttestation', [{ expected, at: new Date().toISOString() }])).result as Verdict;
  expect(v.result).toBe('failed');
  expect(v.checks.find((c) => c.name === 'tdx.chain.root')).toMatchObject({ result: 'fail' });
});
