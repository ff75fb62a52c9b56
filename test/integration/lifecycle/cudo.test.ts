// createCudoVm, operateCvm and teardownCvm end to end against the CUDO sandbox.
import { WorkflowFailedError } from '@temporalio/client';
import { cancelTeardownSignal, extendTeardownUpdate, teardownAtQuery } from '../../../src/contract/teardown';
import { lifecycleWorkflowId, operateWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { recordHistory } from '../../support/histories';
import { useLifecycleWorker, waitForStep } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('cudo', 50);

const fast = { pollInterval: '200ms', activeDeadline: '60s', providerCallTimeout: '10s' };
const vmSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, bootDiskSizeGib: 20, ...fast });
const vmIdOf = (prefix: string) => unique(prefix).toLowerCase();
const sandbox = () => ctx.env.sandboxes.cudo.sandbox;
const liveVm = (id: string) => {
  const vm = sandbox().vm(id);
  return vm && vm.state !== 'DELETED' ? vm : undefined;
};

test('create → ACTIVE, marked as created by cvmflow', async () => {
  const vmId = vmIdOf('vm');
  const workflowId = lifecycleWorkflowId('cudo', vmId);
  const result = await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId, args: [vmSpec(vmId)] });
  expect(result).toMatchObject({ provider: 'cudo', vmId, state: 'ACTIVE', adopted: false, dataCenterId: 'gb-bournemouth-1' });
  expect(liveVm(vmId)?.metadata).toMatchObject({ 'managed-by': 'cvmflow', 'cvmflow-workflow-id': workflowId });
  await recordHistory(ctx.t.client, workflowId, 'createCudoVm', 'active');
});

test('a 504 that still created the VM is reconciled: exactly one VM', async () => {
  const vmId = vmIdOf('gw');
  sandbox().server.faults.add({ endpoint: 'cudoCreateVm', fault: { type: 'after', status: 504 } });
  const result = await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)] });
  expect(result.state).toBe('ACTIVE');
  expect(sandbox().server.calls('cudoCreateVm').filter((c) => c.path.includes('/vm')).map((c) => c.status).slice(-2)).toEqual([504, 409]);
  expect(sandbox().vms().filter((v) => v.id === vmId)).toHaveLength(1);
});

test('an id taken by a VM cvmflow did not create is left alone', async () => {
  const vmId = vmIdOf('theirs');
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, metadata: { owner: 'someone-else' } });
  const err = (await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'VmIdTaken' });
  expect(liveVm(vmId)?.metadata).toEqual({ owner: 'someone-else' });
});

test('a VM that ends FAILED is terminated and the workflow fails with the reason', async () => {
  const vmId = vmIdOf('fails');
  sandbox().failNextCreate(1);
  const err = (await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'CvmFailed' });
  expect(err.cause!.message).toMatch(/FAILED/);
  expect(err.cause!.message).toMatch(/compensated: terminated CUDO VM/);
  for (let i = 0; i < 100 && liveVm(vmId); i++) await new Promise((r) => setTimeout(r, 50));
  expect(liveVm(vmId)).toBeUndefined();
});

test('day-2: stop then start, each waiting for the resulting state', async () => {
  const vmId = vmIdOf('ops');
  await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)] });
  const stopId = operateWorkflowId('cudo', vmId, 'stop', 'r1');
  const stopped = await ctx.t.client.workflow.execute('operateCvm', { taskQueue: ctx.taskQueue, workflowId: stopId, args: [{ provider: 'cudo', cvmId: vmId, action: 'stop', requestedBy: 'alice', reason: 'maintenance', pollInterval: '200ms' }] });
  expect(stopped).toMatchObject({ action: 'stop', finalStatus: 'STOPPED', requestedBy: 'alice' });
  expect(liveVm(vmId)?.state).toBe('STOPPED');
  await recordHistory(ctx.t.client, stopId, 'operateCvm', 'cudo-stop');
  const started = await ctx.t.client.workflow.execute('operateCvm', { taskQueue: ctx.taskQueue, workflowId: operateWorkflowId('cudo', vmId, 'start', 'r2'), args: [{ provider: 'cudo', cvmId: vmId, action: 'start', requestedBy: 'alice', pollInterval: '200ms' }] });
  expect(started.finalStatus).toBe('ACTIVE');
});

test('ttl: the teardown outlives its parent, can be extended, then stops → terminates → confirms gone', async () => {
  const vmId = vmIdOf('ttl');
  const result = await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [{ ...vmSpec(vmId), ttl: '1m' }] });
  expect(result.teardown?.workflowId).toBe(teardownWorkflowId('cudo', vmId));
  const teardown = ctx.t.client.workflow.getHandle(result.teardown!.workflowId);
  expect(await teardown.query(teardownAtQuery)).toBe(result.teardown!.teardownAt);
  const rejected = (await teardown.executeUpdate(extendTeardownUpdate, { args: [{ teardownAt: '2001-01-01T00:00:00Z' }] }).catch((e: unknown) => e)) as { cause?: Error };
  expect(rejected.cause?.message).toMatch(/not in the future/);
  const soon = new Date(Date.now() + 1500).toISOString();
  expect(await teardown.executeUpdate(extendTeardownUpdate, { args: [{ teardownAt: soon }] })).toEqual({ teardownAt: soon });
  const done = await teardown.result();
  expect(done).toMatchObject({ outcome: 'deleted', cvmId: vmId, teardownAt: soon });
  expect(liveVm(vmId)).toBeUndefined();
  await recordHistory(ctx.t.client, result.teardown!.workflowId, 'teardownCvm', 'ttl-extended');
});

test('a cancelled teardown leaves the VM running', async () => {
  const vmId = vmIdOf('keep');
  await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)] });
  const handle = await ctx.t.client.workflow.start('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: teardownWorkflowId('cudo', vmId), args: [{ provider: 'cudo', cvmId: vmId, teardownAt: new Date(Date.now() + 3_600_000).toISOString(), pollInterval: '200ms' }] });
  await waitForStep(ctx.t.client, handle.workflowId, 'scheduled');
  await handle.signal(cancelTeardownSignal, { reason: 'still needed' });
  expect(await handle.result()).toMatchObject({ outcome: 'cancelled', cancelReason: 'still needed' });
  expect(liveVm(vmId)?.state).toBe('ACTIVE');
});

test('tearing down what is already gone succeeds', async () => {
  const result = await ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: unique('teardown-gone'), args: [{ provider: 'cudo', cvmId: 'never-existed', pollInterval: '200ms' }] });
  expect(result.outcome).toBe('already-gone');
});
