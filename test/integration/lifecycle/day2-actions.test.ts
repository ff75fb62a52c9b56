// operateCvm and teardownCvm through each provider's port (src/workflows/support/provider-port.ts) against the
// sandboxes: every Phala action sends its own request and waits for the state it leads to, CUDO reboot and resize
// (which keeps a stopped VM stopped), and a teardown by a Phala name that stops the CVM gracefully before deleting it.
import { WorkflowFailedError } from '@temporalio/client';
import { CvmflowClient } from '../../../src/client';
import type { Provider } from '../../../src/contract/common';
import { lifecycleWorkflowId, operateWorkflowId } from '../../../src/contract/workflow-ids';
import { useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('day2', 50);
const fast = { pollInterval: '200ms', providerCallTimeout: '10s' };

function operate(provider: Provider, cvmId: string, action: string, extra: object = {}) {
  const requestId = unique('r').replace(/[^A-Za-z0-9._-]/g, '');
  return ctx.t.client.workflow.execute('operateCvm', { taskQueue: ctx.taskQueue, workflowId: operateWorkflowId(provider, cvmId, action, requestId), args: [{ provider, cvmId, action, requestedBy: 'day2-test', requestId, ...fast, ...extra }] });
}

function teardown(args: object) {
  return ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: unique('day2-teardown'), args: [{ ...fast, ...args }] });
}

test('Phala: shutdown, start, restart, stop and replicate each send their request; a teardown by name shuts down, then deletes', async () => {
  const phala = ctx.env.sandboxes.phala.sandbox;
  const calls = (activity: string) => phala.server.calls(activity).length;
  const name = unique('day2').toLowerCase().replace(/[^a-z0-9-]/g, '');
  const created = await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', runningDeadline: '60s', ...fast }] });
  const id = created.cvmId;

  expect(await operate('phala', id, 'shutdown')).toMatchObject({ action: 'shutdown', finalStatus: 'stopped', replicaId: null });
  expect(await operate('phala', id, 'start')).toMatchObject({ action: 'start', finalStatus: 'running' });
  expect(await operate('phala', id, 'restart', { force: true })).toMatchObject({ action: 'restart', finalStatus: 'running' });
  expect(await operate('phala', id, 'stop')).toMatchObject({ action: 'stop', finalStatus: 'stopped' });
  expect(await operate('phala', id, 'start')).toMatchObject({ finalStatus: 'running' });
  expect([calls('phalaShutdownCvm'), calls('phalaStartCvm'), calls('phalaRestartCvm'), calls('phalaStopCvm')]).toEqual([1, 2, 1, 1]);

  const replicated = await operate('phala', id, 'replicate');
  expect(replicated).toMatchObject({ action: 'replicate', finalStatus: 'running' });
  expect(replicated.replicaId).toEqual(expect.any(String));
  expect(replicated.replicaId).not.toBe(id);
  expect(phala.cvms().filter((c) => c.name === name && c.replicaOf)).toHaveLength(1);

  // the replica by its id (it shares the name), then the original by its name alone
  expect(await teardown({ provider: 'phala', cvmId: replicated.replicaId, gracefulTimeout: '0s' })).toMatchObject({ outcome: 'deleted' });
  const byName = await teardown({ provider: 'phala', cvmName: name });
  expect(byName).toMatchObject({ outcome: 'deleted', cvmName: name });
  expect(calls('phalaShutdownCvm')).toBe(2); // the graceful stop of the teardown by name
  expect(calls('phalaDeleteCvm')).toBe(2);
  expect(phala.cvms().filter((c) => c.name === name)).toEqual([]);
});

test('CUDO: reboot and resize wait for the state each leads to (a stopped VM stays stopped after a resize)', async () => {
  const cudo = ctx.env.sandboxes.cudo.sandbox;
  const vmId = unique('day2').toLowerCase();
  await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', vmId), args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, bootDiskSizeGib: 20, activeDeadline: '60s', ...fast }] });

  expect(await operate('cudo', vmId, 'reboot')).toMatchObject({ action: 'reboot', finalStatus: 'ACTIVE' });
  expect(await operate('cudo', vmId, 'resize', { vcpus: 4, memoryGib: 8 })).toMatchObject({ action: 'resize', finalStatus: 'ACTIVE' });
  expect(await operate('cudo', vmId, 'stop')).toMatchObject({ finalStatus: 'STOPPED' });
  expect(await operate('cudo', vmId, 'resize', { vcpus: 2, memoryGib: 4 })).toMatchObject({ action: 'resize', finalStatus: 'STOPPED' });
  expect([cudo.server.calls('cudoRebootVm').length, cudo.server.calls('cudoResizeVm').length]).toEqual([1, 2]);
  expect(cudo.vm(vmId)?.state).toBe('STOPPED');

  expect(await teardown({ provider: 'cudo', cvmId: vmId })).toMatchObject({ outcome: 'deleted', cvmId: vmId });
  expect(cudo.server.calls('cudoTerminateVm').length).toBe(1);
});

// A teardown deletes only what cvmflow can prove it created: a CVM its lifecycle recorded (Phala, Prism), or one
// carrying cvmflow's ownership mark (CUDO). A CVM made directly at the provider is refused by id and by name.
const failureOf = async (p: Promise<unknown>) => (await p.then(() => undefined).catch((e: unknown) => e)) as WorkflowFailedError;
const notRecorded = (err: WorkflowFailedError, id: string) => {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toMatchObject({ type: 'CvmNotRecorded' });
  expect(err.cause!.message).toContain(id);
  expect(err.cause!.message).toMatch(/Nothing was stopped or deleted; if it is really meant to go, delete it at the provider/);
};

test('Phala: a CVM made outside cvmflow is not torn down by id or by name (even under a name a lifecycle once used); a lifecycle-made one is, by id', async () => {
  const phala = ctx.env.sandboxes.phala.sandbox;
  const deletes = () => phala.server.calls('phalaDeleteCvm').length;
  const stops = () => phala.server.calls('phalaShutdownCvm').length + phala.server.calls('phalaStopCvm').length;
  const name = unique('owned').toLowerCase().replace(/[^a-z0-9-]/g, '');
  // cvmflow's CVM is deleted behind its back, and someone else deploys one under the same name
  const ours = await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: 'services: {}\n', runningDeadline: '60s', ...fast }] });
  await ctx.env.activities.phalaDeleteCvm({ id: ours.cvmId });
  const p = await ctx.env.activities.phalaProvisionCvm({ name, compose_file: { docker_compose_file: 'services:\n  theirs:\n    image: caddy\n' } });
  const stranger = await ctx.env.activities.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
  for (let i = 0; i < 600 && phala.stateOf(stranger.ref)?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
  expect(phala.stateOf(stranger.ref)?.status).toBe('running');
  const [deleted, stopped] = [deletes(), stops()];

  notRecorded(await failureOf(teardown({ provider: 'phala', cvmId: stranger.ref })), stranger.ref);
  notRecorded(await failureOf(teardown({ provider: 'phala', cvmId: phala.cvm(stranger.ref)!.vmUuid })), phala.cvm(stranger.ref)!.vmUuid);
  notRecorded(await failureOf(teardown({ provider: 'phala', cvmName: name })), stranger.ref);
  // nor stopped by a day-2 action
  const refused = await failureOf(operate('phala', stranger.ref, 'stop'));
  expect(refused.cause).toMatchObject({ type: 'CvmNotRecorded', message: expect.stringContaining(`phala CVM ${stranger.ref}`) });
  expect(refused.cause!.message).toMatch(/Nothing was sent to phala \(stop\); act on it at the provider if it is really meant to/);
  expect([deletes(), stops()]).toEqual([deleted, stopped]);
  expect(phala.stateOf(stranger.ref)?.status).toBe('running');

  const mineName = `${name}-m`;
  const mine = await ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', mineName), args: [{ name: mineName, composeFile: 'services: {}\n', runningDeadline: '60s', ...fast }] });
  // by its vm uuid: another of its ids, the observation's ref is the one the lifecycle recorded
  expect(await teardown({ provider: 'phala', cvmId: phala.cvm(mine.cvmId)!.vmUuid, gracefulTimeout: '0s' })).toMatchObject({ outcome: 'deleted' });
  expect(phala.cvm(mine.cvmId)).toBeUndefined();
  expect(phala.stateOf(stranger.ref)?.status).toBe('running');
});

test('Prism: a CVM made outside cvmflow is not torn down by id; a lifecycle-made one is', async () => {
  const prism = ctx.env.sandboxes.prism.sandbox;
  const name = unique('owned');
  const theirs = await ctx.env.activities.prismCreateCvm({ name, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: false });
  const strangerId = prism.cvms().find((c) => c.name === name)!.id;
  expect(theirs).toBeDefined();
  notRecorded(await failureOf(teardown({ provider: 'prism', cvmId: strangerId, gracefulTimeout: '0s' })), strangerId);
  expect(prism.server.calls('prismDeleteCvm').filter((c) => c.path.includes(strangerId))).toEqual([]);
  expect(prism.cvm(strangerId)!.status).not.toBe('Inactive');

  const mineName = unique('mine');
  const mine = await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', mineName), args: [{ name: mineName, pollInterval: '200ms', onlineDeadline: '120s', providerCallTimeout: '10s' }] });
  expect(await teardown({ provider: 'prism', cvmId: mine.cvmId, gracefulTimeout: '0s' })).toMatchObject({ outcome: 'deleted', cvmId: mine.cvmId });
  expect(prism.cvm(mine.cvmId)!.status).toBe('Inactive');
  expect(prism.cvm(strangerId)!.status).not.toBe('Inactive');
});

test("CUDO: a VM without cvmflow's mark is not torn down, even when a lifecycle refused with VmIdTaken recorded its id; a marked one is", async () => {
  const cudo = ctx.env.sandboxes.cudo.sandbox;
  const spec = { dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 };
  const vmId = unique('theirs').toLowerCase().replace(/[^a-z0-9-]/g, '');
  await ctx.env.activities.cudoCreateVm({ vmId, ...spec, metadata: { owner: 'someone-else' } });
  // the id is now in a lifecycle's record (the client records it before creating), yet the VM is not cvmflow's
  const refused = await failureOf((await new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue }).startCreateCudoVm({ vmId, ...spec, bootDiskSizeGib: 20, activeDeadline: '60s', ...fast })).result());
  expect(refused.cause).toMatchObject({ type: 'VmIdTaken' });
  const [record] = await new CvmflowClient(ctx.t.client).list({ types: ['createCudoVm'], provider: 'cudo', name: vmId });
  expect(record).toMatchObject({ cvmId: vmId });
  for (let i = 0; i < 100 && cudo.vm(vmId)?.state !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 50));

  notRecorded(await failureOf(teardown({ provider: 'cudo', cvmId: vmId })), vmId);
  for (const action of ['stop', 'reboot'] as const) {
    const refused = await failureOf(operate('cudo', vmId, action));
    expect(refused.cause).toMatchObject({ type: 'CvmNotRecorded', message: expect.stringContaining(`Nothing was sent to cudo (${action})`) });
  }
  expect(cudo.server.calls('cudoRebootVm').filter((c) => c.path.includes(vmId))).toEqual([]);
  expect(cudo.server.calls('cudoTerminateVm').filter((c) => c.path.includes(vmId))).toEqual([]);
  expect(cudo.server.calls('cudoStopVm').filter((c) => c.path.includes(vmId))).toEqual([]);
  expect(cudo.vm(vmId)).toMatchObject({ state: 'ACTIVE', metadata: { owner: 'someone-else' } });

  const mine = unique('mine').toLowerCase().replace(/[^a-z0-9-]/g, '');
  await ctx.t.client.workflow.execute('createCudoVm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('cudo', mine), args: [{ vmId: mine, ...spec, bootDiskSizeGib: 20, activeDeadline: '60s', ...fast }] });
  expect(await teardown({ provider: 'cudo', cvmId: mine })).toMatchObject({ outcome: 'deleted', cvmId: mine });
  expect(cudo.vm(mine)?.state).toBe('DELETED');
  expect(cudo.vm(vmId)?.state).toBe('ACTIVE');
});
