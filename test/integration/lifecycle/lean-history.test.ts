// A lean run's history (patch lean-history): reads are local activities, what creates, deletes or waits is an
// activity of its own, the search attributes are written once per workflow task, and no more than about 30 events
// make a lifecycle. Visibility still shows the step a lifecycle is waiting in, and a run that fails shows what
// it found before it failed. A CUDO delete refused mid-transition waits for the VM to settle.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { CUDO_MANAGED_BY, CUDO_MANAGED_BY_VALUE } from '../../../src/contract/rules/cudo';
import { CvmId, CvmStatus, CvmStep } from '../../../src/contract/search-attributes';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { PATCH_LEAN_HISTORY } from '../../../src/workflows/support/options';
import { recordHistory } from '../../support/histories';
import { useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

// 10x: a CUDO VM takes about 2.5 s to become ACTIVE, long enough to see the wait in visibility.
const ctx = useLifecycleWorker('lean', 10);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const fast = { pollInterval: '200ms', providerCallTimeout: '10s' };
const vmSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, activeDeadline: '60s', ...fast });

async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

const decode = (p: temporal.api.common.v1.IPayload | null | undefined): unknown => (p?.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined);

/** What the history says the workflow called: activities scheduled, local activities (from their markers), patches. */
function calls(history: HistoryEvent[]) {
  const activities = history.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name ?? '?'] : []));
  const markers = history.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  const local = markers.filter((m) => m.markerName === 'core_local_activity').map((m) => (decode(m.details?.data?.payloads?.[0]) as { activity_type?: string }).activity_type ?? '?');
  const patches = markers.filter((m) => m.markerName === 'core_patch').map((m) => decode(m.details?.['patch-data']?.payloads?.[0]) as { id?: string });
  const workflowTasks = history.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  // Search-attribute writes of cvmflow's own (the SDK writes TemporalChangeVersion with each patch marker).
  const writes = history.filter((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    return fields && !('TemporalChangeVersion' in fields);
  }).length;
  return { activities, local, patches: patches.map((p) => p.id), workflowTasks, writes };
}

async function waitForVisibleStep(client: Client, workflowId: string, step: string, ms = 20_000): Promise<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.typedSearchAttributes.get(CvmStep) === step) return d;
    if (Date.now() > deadline) throw new Error(`${workflowId}: visibility never showed step ${step} (last: ${d.typedSearchAttributes.get(CvmStep)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('createCudoVm: reads are local, create and wait are activities, visibility shows the wait, at most 30 events', async () => {
  const vmId = unique('lean').toLowerCase();
  const workflowId = lifecycleWorkflowId('cudo', vmId);
  const handle = await ctx.t.client.workflow.start('createCudoVm', { taskQueue: ctx.taskQueue, workflowId, args: [vmSpec(vmId)] });

  // While it waits for ACTIVE, visibility shows that step and the VM's id, as it did when every step was written.
  const waiting = await waitForVisibleStep(ctx.t.client, workflowId, 'wait-active');
  expect(waiting.typedSearchAttributes.get(CvmId)).toBe(vmId);
  await handle.result();

  const history = await historyOf(ctx.t.client, workflowId);
  const c = calls(history);
  expect(c.patches).toEqual([PATCH_LEAN_HISTORY]);
  expect(c.activities).toEqual(['cudoCreateVm', 'awaitCvmState']);
  expect(c.local).toEqual(['observeCvm']);
  expect(c.writes).toBeLessThanOrEqual(c.workflowTasks);
  expect(history.length).toBeLessThanOrEqual(30);
  const done = await ctx.t.client.workflow.getHandle(workflowId).describe();
  expect([done.typedSearchAttributes.get(CvmStep), done.typedSearchAttributes.get(CvmStatus)]).toEqual(['done', 'ACTIVE']);
});

test('provisionPhalaCvm (attested) and createAttestedPrismCvm: at most 30 events each, their reads local', async () => {
  const phala = unique('lean-ph').toLowerCase();
  const prism = unique('lean-pr').toLowerCase();
  await Promise.all([
    ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', phala), args: [{ name: phala, composeFile: 'services: {}\n', runningDeadline: '120s', ...fast }] }),
    ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', prism), args: [{ name: prism, onlineDeadline: '120s', ...fast }] }),
  ]);
  const ph = await historyOf(ctx.t.client, lifecycleWorkflowId('phala', phala));
  const p = calls(ph);
  expect(p.activities).toEqual(['phalaCommitCvm', 'phalaWatchCvmState']);
  expect(p.local).toEqual(['observeCvm', 'phalaProvisionCvm', 'observeCvm', 'verifyPhalaAttestation']);
  // Every earlier patch (attest before ready, public tcb_info) is implied by lean-history: not asked, not recorded.
  expect(p.patches).toEqual([PATCH_LEAN_HISTORY]);
  expect(p.writes).toBeLessThanOrEqual(p.workflowTasks);
  expect(ph.length).toBeLessThanOrEqual(30);

  const pr = await historyOf(ctx.t.client, lifecycleWorkflowId('prism', prism));
  const q = calls(pr);
  expect(q.activities).toEqual(['prismCreateCvm', 'awaitCvmState']);
  expect(q.local).toEqual(expect.arrayContaining(['prismListCvms', 'prismGetCvm', 'prismGetAttestationPolicy', 'verifyCvmAttestation']));
  expect(q.patches).toEqual([PATCH_LEAN_HISTORY]);
  expect(q.writes).toBeLessThanOrEqual(q.workflowTasks);
  expect(pr.length).toBeLessThanOrEqual(30);
});

test('a teardown refused for want of proof shows what it found before it fails', async () => {
  // A VM cvmflow did not create (no managed-by mark): the teardown finds it, refuses, and its run must still show
  // the VM's id and state, written in the same task as the failure.
  const vmId = unique('lean-theirs').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, metadata: { owner: 'someone-else' } });
  const workflowId = teardownWorkflowId('cudo', vmId);
  const err = await ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ provider: 'cudo', cvmId: vmId, reason: 'lean test', ...fast }] }).catch((e: unknown) => e as Error & { cause?: { type?: string } });
  expect(err.cause?.type).toBe('CvmNotRecorded');
  const history = await historyOf(ctx.t.client, workflowId);
  expect(calls(history).activities).toEqual([]); // nothing stopped or deleted; the looks were local
  const d = await ctx.t.client.workflow.getHandle(workflowId).describe();
  expect(d.typedSearchAttributes.get(CvmId)).toBe(vmId);
  expect(d.typedSearchAttributes.get(CvmStatus)).toEqual(expect.any(String));
  const lastWrite = history.map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields).filter((f) => f && !('TemporalChangeVersion' in f)).at(-1);
  expect(lastWrite && 'CvmStatus' in lastWrite).toBe(true);
  await recordHistory(ctx.t.client, workflowId, 'teardownCvm', 'not-proven');
});

test('a CUDO VM still in transition is torn down once it settles (CUDO refuses to terminate it mid-transition)', async () => {
  const vmId = unique('lean-busy').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, metadata: { [CUDO_MANAGED_BY]: CUDO_MANAGED_BY_VALUE } });
  const sandbox = ctx.env.sandboxes.cudo.sandbox;
  const result = await ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: teardownWorkflowId('cudo', vmId), args: [{ provider: 'cudo', cvmId: vmId, reason: 'lean test', ...fast }] });
  expect(result.outcome).toBe('deleted');
  // The first terminate met the VM mid-transition and was refused; the second, after it settled, went through.
  expect(sandbox.server.calls('cudoTerminateVm').filter((c) => c.path.includes(vmId)).map((c) => c.status)).toEqual([400, 200]);
  expect(['DELETING', 'DELETED', undefined]).toContain(sandbox.vm(vmId)?.state);
  await recordHistory(ctx.t.client, teardownWorkflowId('cudo', vmId), 'teardownCvm', 'delete-when-settled');
});
