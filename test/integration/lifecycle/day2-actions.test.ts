// operateCvm and teardownCvm through each provider's port (src/workflows/support/provider-port.ts) against the
// sandboxes: every Phala action sends its own request and waits for the state it leads to, CUDO reboot and resize
// (which keeps a stopped VM stopped), and a teardown by a Phala name that stops the CVM gracefully before deleting it.
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
