// provisionPhalaCvm end to end on the dev server against the Phala sandbox.
import { WorkflowFailedError } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../../src/contract/workflow-ids';
import { submitOnChainTransactionUpdate } from '../../../src/contract/phala';
import { recordHistory } from '../../support/histories';
import { historyText, useLifecycleWorker, waitForStep } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const SECRET = 'p4ssw0rd-never-in-history';
process.env.CVMFLOW_SECRET_DB_PASSWORD = SECRET;

const ctx = useLifecycleWorker('phala', 50);

const fast = { pollInterval: '200ms', runningDeadline: '60s', providerCallTimeout: '10s' };
// The sandbox drops a CVM from its list once deleted.
const liveNamed = (name: string) => ctx.env.sandboxes.phala.sandbox.cvms().filter((c) => c.name === name);

// First in this file: the worker has learned no Phala boots yet, so the wait is the state stream's alone (later
// waits first look where the boots before them ended, and may not open a stream at all).
test('a dropped state stream is resumed', async () => {
  const name = unique('drop').replace(/[^a-z0-9-]/g, '');
  ctx.env.sandboxes.phala.sandbox.server.faults.add({ endpoint: 'phalaWatchCvmState', fault: { type: 'drop-stream', afterEvents: 1 }, times: 2 });
  const result = await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', ...fast }] });
  expect(result.status).toBe('running');
  expect(ctx.env.sandboxes.phala.sandbox.server.calls('phalaWatchCvmState').length).toBeGreaterThanOrEqual(3);
  expect(liveNamed(name)).toHaveLength(1);
});

test('happy path: provision → encrypted env → commit → running, secret never in history', async () => {
  const name = unique('app').replace(/[^a-z0-9-]/g, '');
  const workflowId = lifecycleWorkflowId('phala', name);
  const result = await ctx.t.client.workflow.execute('provisionPhalaCvm', {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ name, composeFile: 'services:\n  web:\n    image: nginx\n', env: [{ key: 'DB_PASSWORD', secretRef: 'env:CVMFLOW_SECRET_DB_PASSWORD' }], ...fast }],
  });
  expect(result).toMatchObject({ provider: 'phala', name, status: 'running', kms: 'PHALA', transactionHash: null, teardown: null });
  expect(liveNamed(name)).toHaveLength(1);
  expect(ctx.env.sandboxes.phala.sandbox.envKeysOf(result.cvmId)).toEqual(['DB_PASSWORD']);
  expect(ctx.env.sandboxes.phala.sandbox.envDecrypted(result.cvmId)).toBe(true);
  expect(await historyText(ctx.t.client, workflowId)).not.toContain(SECRET);
  const status = await ctx.t.client.workflow.getHandle(workflowId).query('status');
  expect(status).toMatchObject({ step: 'done', provider: 'phala', cvmName: name, cvmId: result.cvmId });
  await recordHistory(ctx.t.client, workflowId, 'provisionPhalaCvm', 'happy-path');
});

test('a second run for a name that is taken stops before creating anything', async () => {
  const name = unique('again').replace(/[^a-z0-9-]/g, '');
  const args = [{ name, composeFile: 'services: {}\n', ...fast }];
  await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args });
  const provisions = ctx.env.sandboxes.phala.sandbox.server.calls('phalaProvisionCvm').length;
  const err = (await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'CvmNameTaken' });
  expect(ctx.env.sandboxes.phala.sandbox.server.calls('phalaProvisionCvm').length).toBe(provisions);
  expect(liveNamed(name)).toHaveLength(1);
});

test('on-chain KMS: waits for submitOnChainTransaction (validated), then commits', async () => {
  const name = unique('chain').replace(/[^a-z0-9-]/g, '');
  const workflowId = lifecycleWorkflowId('phala', name);
  const deployer = `0x${'d'.repeat(40)}`;
  const handle = await ctx.t.client.workflow.start('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, composeFile: 'services: {}\n', kms: { type: 'base', deployerAddress: deployer }, onChainDeadline: '60s', ...fast }] });
  await waitForStep(ctx.t.client, workflowId, 'await-onchain');
  const pending = ctx.env.sandboxes.phala.sandbox.pendingProvisions().find((p) => p.name === name)!;
  const reg = ctx.env.sandboxes.phala.sandbox.registerOnChain({ compose_hash: pending.composeHash, kms: 'BASE', deployer_address: deployer, allow_any_device: true });
  const rejected = (await handle.executeUpdate(submitOnChainTransactionUpdate, { args: [{ transactionHash: '0x1234' }] }).catch((e: unknown) => e)) as { cause?: Error };
  expect(rejected.cause?.message).toMatch(/transactionHash: expected 0x followed by 64 hex digits/);
  const accepted = await handle.executeUpdate(submitOnChainTransactionUpdate, { args: [{ transactionHash: reg.transaction_hash, appAddress: reg.contract_address }] });
  expect(accepted.accepted).toBe(true);
  const result = await handle.result().catch((e: WorkflowFailedError) => {
    throw new Error(`on-chain lifecycle failed: ${e.cause?.message}`);
  });
  expect(result).toMatchObject({ status: 'running', kms: 'BASE', transactionHash: reg.transaction_hash });
  expect(liveNamed(name)).toHaveLength(1);
  await recordHistory(ctx.t.client, workflowId, 'provisionPhalaCvm', 'onchain');
});

test('on-chain deadline passed: fails cleanly and creates nothing', async () => {
  const name = unique('late').replace(/[^a-z0-9-]/g, '');
  const err = await ctx.t.client.workflow
    .execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', kms: { type: 'ethereum', deployerAddress: `0x${'e'.repeat(40)}` }, onChainDeadline: '2s', ...fast }] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'OnChainDeadlineExceeded' });
  expect(liveNamed(name)).toHaveLength(0);
});

test('failed boot: fails fast with the boot error and deletes the CVM (compensation)', async () => {
  const name = unique('boom').replace(/[^a-z0-9-]/g, '');
  ctx.env.sandboxes.phala.sandbox.failNextBoot({ cvm: name, bootError: 'container exited with code 1' });
  const started = Date.now();
  const err = (await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', ...fast }] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toMatchObject({ type: 'PhalaCvmFailed' });
  expect(err.cause!.message).toMatch(/container exited with code 1/);
  expect(err.cause!.message).toMatch(/compensated: deleted Phala CVM/);
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(liveNamed(name)).toHaveLength(0);
});

test('a 429 storm and a 5xx burst on commit are ridden out, still exactly one CVM', async () => {
  const name = unique('storm').replace(/[^a-z0-9-]/g, '');
  const faults = ctx.env.sandboxes.phala.sandbox.server.faults;
  faults.add({ endpoint: 'phalaCommitCvm', fault: { type: 'status', status: 429, retryAfter: 1, body: { detail: 'Too many requests' } }, times: 2 });
  faults.add({ endpoint: 'phalaCommitCvm', fault: { type: 'after', status: 502 }, times: 1 });
  const result = await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', ...fast }] });
  expect(result.status).toBe('running');
  expect(liveNamed(name)).toHaveLength(1);
});

test('bad input fails at once with the field named', async () => {
  const err = (await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: unique('bad'), args: [{ name: 'x', composeFile: '' }] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'InvalidWorkflowInput' });
  expect(err.cause!.message).toMatch(/name: expected 5-63/);
  expect(err.cause!.message).toMatch(/composeFile: the docker compose file is required/);
});

test('the history check can see a value that is in the history (it is not vacuous)', async () => {
  const name = unique('probe').replace(/[^a-z0-9-]/g, '');
  const workflowId = lifecycleWorkflowId('phala', name);
  await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, composeFile: 'services:\n  marker-service-xyz: {}\n', ...fast }] });
  expect(await historyText(ctx.t.client, workflowId)).toContain('marker-service-xyz');
});
