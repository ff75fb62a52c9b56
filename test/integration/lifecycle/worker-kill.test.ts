// A worker SIGKILLed mid-flight and another started: every lifecycle still finishes, with exactly one
// CVM per workflow, or none after teardown. Kill points: a commit in flight after provision, a create in
// flight before the id is stored, during the wait for ACTIVE, and during teardown.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../../src/sandbox/evidence/snp-issuer';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { startLifecycleEnv, type LifecycleEnv } from '../../support/lifecycle';
import { connectTestTemporal, unique, type TestTemporal } from '../../support/temporal';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../../support/worker-process';

let t: TestTemporal;
let env: LifecycleEnv;
let rootFile: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(10);
  const { rootPem } = issueSandboxSnpEvidence(await createSandboxAmdChain(), { reportData: Buffer.alloc(64) });
  rootFile = join(mkdtempSync(join(tmpdir(), 'root-')), 'sandbox-ark.pem');
  writeFileSync(rootFile, rootPem);
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) await w.kill();
  await env.close();
  await t.close();
});
beforeEach(() => {
  env.sandboxes.phala.sandbox.server.faults.clear();
  env.sandboxes.prism.sandbox.server.faults.clear();
  env.sandboxes.cudo.sandbox.server.faults.clear();
});

async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess(workerEnv(env, taskQueue, { CVMFLOW_TRUST_SANDBOX_ROOT_FILE: rootFile }));
  workers.push(w);
  return w;
}

async function until(what: () => boolean, label: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fast = { pollInterval: '200ms', providerCallTimeout: '3s' };

test('killed while the commit after provision is in flight: one CVM, and it runs', async () => {
  const taskQueue = unique('kill-phala');
  const name = unique('kp').replace(/[^a-z0-9-]/g, '');
  const sb = env.sandboxes.phala.sandbox;
  sb.server.faults.add({ endpoint: 'phalaCommitCvm', fault: { type: 'latency', ms: 1500 } });
  const a = await worker(taskQueue);
  const handle = await t.client.workflow.start('provisionPhalaCvm', { taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', runningDeadline: '2m', ...fast }] });
  await until(() => sb.server.calls('phalaCommitCvm').length > 0, 'the commit request');
  await a.kill();
  await worker(taskQueue);
  const result = await handle.result();
  expect(result.status).toBe('running');
  expect(sb.cvms().filter((c) => c.name === name)).toHaveLength(1);
  expect(sb.server.calls('phalaCommitCvm').length).toBeGreaterThanOrEqual(2); // the retry found the same CVM
});

test('killed while the Prism create is in flight (no id stored yet): one CVM, verified', async () => {
  const taskQueue = unique('kill-prism');
  const name = unique('kc');
  const sb = env.sandboxes.prism.sandbox;
  sb.server.faults.add({ endpoint: 'prismCreateCvm', fault: { type: 'latency', ms: 1500 } });
  const a = await worker(taskQueue);
  const handle = await t.client.workflow.start('createAttestedPrismCvm', { taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, onlineDeadline: '2m', ...fast }] });
  await until(() => sb.server.calls('prismCreateCvm').length > 0, 'the create request');
  await a.kill();
  await worker(taskQueue);
  const result = await handle.result();
  expect(result.verdict.verified).toBe(true);
  expect(sb.cvms().filter((c) => c.name === name && c.status !== 'Inactive')).toHaveLength(1);
});

test('killed during the wait for ACTIVE, then during teardown: one VM, then none', async () => {
  const taskQueue = unique('kill-cudo');
  const vmId = unique('kw').toLowerCase();
  const sb = env.sandboxes.cudo.sandbox;
  const a = await worker(taskQueue);
  const handle = await t.client.workflow.start('createCudoVm', {
    taskQueue,
    workflowId: lifecycleWorkflowId('cudo', vmId),
    args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, activeDeadline: '2m', ...fast }],
  });
  await until(() => sb.server.calls('cudoGetVm').length > 0 && sb.vm(vmId) !== undefined && sb.vm(vmId)!.state !== 'ACTIVE', 'the wait for ACTIVE');
  await a.kill();
  const b = await worker(taskQueue);
  expect((await handle.result()).state).toBe('ACTIVE');
  expect(sb.vms().filter((v) => v.id === vmId)).toHaveLength(1);

  const teardown = await t.client.workflow.start('teardownCvm', { taskQueue, workflowId: teardownWorkflowId('cudo', vmId), args: [{ provider: 'cudo', cvmId: vmId, goneDeadline: '2m', ...fast }] });
  await until(() => sb.server.calls('cudoStopVm').length > 0 || sb.server.calls('cudoTerminateVm').length > 0, 'the teardown to begin');
  await b.kill();
  await worker(taskQueue);
  expect(await teardown.result()).toMatchObject({ outcome: 'deleted', cvmId: vmId });
  const left = sb.vm(vmId);
  expect(left === undefined || left.state === 'DELETED').toBe(true);
});

test('no worker process logged a provider credential', () => {
  expect(workers.length).toBeGreaterThanOrEqual(6);
  const logs = workers.map((w) => w.output()).join('\n');
  expect(logs).toContain('cvmflow worker started');
  for (const secret of [env.sandboxes.phala.apiKey, env.sandboxes.prism.token, env.sandboxes.cudo.apiKey]) expect(logs).not.toContain(secret);
});
