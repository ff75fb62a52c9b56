// The fleet workflows on the dev server against the sandboxes: reconcileFleet (expired lease, orphans,
// a CVM cvmflow did not create, a record whose CVM is gone), collectCvmStatistics, reattestCvms.
import { createFleetActivities } from '../../../src/activities/fleet';
import { CvmflowClient } from '../../../src/client';
import { cvmflowMetadata } from '../../../src/contract/cudo';
import type { CollectCvmStatisticsResult, ReattestCvmsResult, ReconcileFleetResult } from '../../../src/contract/fleet';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { recordHistory } from '../../support/histories';
import { useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('fleet', 50, (t) => createFleetActivities({ temporalClient: t.client }));
let cvmflow: CvmflowClient;
beforeAll(() => {
  cvmflow = new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue });
});

const vmIdOf = (prefix: string) => unique(prefix).toLowerCase();
const vmSpec = (vmId: string, extra: object = {}) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms', activeDeadline: '60s', providerCallTimeout: '10s', ...extra });
const rawVm = (vmId: string, metadata: Record<string, string>) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, metadata });
const liveVm = (id: string) => {
  const vm = ctx.env.sandboxes.cudo.sandbox.vm(id);
  return vm && vm.state !== 'DELETED' ? vm : undefined;
};
const past = '2001-01-01T00:00:00Z';

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Visibility is eventually consistent: wait until the lifecycle records are listed. */
async function visible(workflowIds: string[]): Promise<void> {
  await until('visibility', async () => {
    const listed = new Set((await cvmflow.list({ types: ['createCudoVm', 'createAttestedPrismCvm', 'provisionPhalaCvm'] })).filter((w) => w.status === 'COMPLETED').map((w) => w.workflowId));
    return workflowIds.every((id) => listed.has(id));
  });
}

test('reconcileFleet: tears down an expired lease, reports orphans and missing CVMs, leaves what it did not create', async () => {
  // cvmflow created it, and its lease (CUDO metadata) has expired
  const expired = vmIdOf('expired');
  await cvmflow.startCreateCudoVm(vmSpec(expired, { metadata: { 'cvmflow-expires-at': past } })).then((s) => s.result());
  // created by someone else, even with an expired-looking lease: never touched
  const theirs = vmIdOf('theirs');
  await ctx.env.activities.cudoCreateVm(rawVm(theirs, { owner: 'someone-else', 'cvmflow-expires-at': past }));
  // marked as cvmflow's, but no record in Temporal: an orphan, reported
  const orphan = vmIdOf('orphan');
  await ctx.env.activities.cudoCreateVm(rawVm(orphan, cvmflowMetadata(lifecycleWorkflowId('cudo', orphan))));
  // a Prism CVM nobody told cvmflow about
  const prismName = unique('stray').toLowerCase();
  await ctx.env.activities.prismCreateCvm({ name: prismName, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: true });
  // cvmflow's record says it exists, but it was deleted behind cvmflow's back
  const gone = vmIdOf('gone');
  await cvmflow.startCreateCudoVm(vmSpec(gone)).then((s) => s.result());
  await ctx.env.activities.cudoTerminateVm({ id: gone });
  await until('out-of-band delete', () => !liveVm(gone));
  await visible([lifecycleWorkflowId('cudo', expired), lifecycleWorkflowId('cudo', gone)]);

  const run = await cvmflow.startReconcileFleet({ providers: ['cudo', 'prism'], teardownPollInterval: '200ms', gracefulTimeout: '5s', providerCallTimeout: '10s' }, { workflowId: unique('reconcile') });
  const result = (await run.result()) as ReconcileFleetResult;
  expect(result.providers).toMatchObject({ cudo: { skipped: null }, prism: { skipped: null } });
  expect(result.expired).toEqual([expect.objectContaining({ provider: 'cudo', key: expired, leaseExpiredAt: '2001-01-01T00:00:00.000Z', action: 'teardown-started', teardownWorkflowId: teardownWorkflowId('cudo', expired) })]);
  expect(result.orphans).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ provider: 'cudo', key: theirs, marked: false }),
      expect.objectContaining({ provider: 'cudo', key: orphan, marked: true }),
      expect.objectContaining({ provider: 'prism', key: prismName, marked: false }),
    ]),
  );
  expect(result.orphans.map((o) => o.key)).not.toContain(expired);
  expect(result.missing).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'cudo', key: gone, workflowId: lifecycleWorkflowId('cudo', gone) })]));
  await recordHistory(ctx.t.client, run.workflowId, 'reconcileFleet', 'expired-orphans-missing');

  const teardown = await ctx.t.client.workflow.getHandle(teardownWorkflowId('cudo', expired)).result();
  expect(teardown).toMatchObject({ outcome: 'deleted', cvmId: expired });
  expect(liveVm(expired)).toBeUndefined();
  expect(liveVm(theirs)?.metadata).toEqual({ owner: 'someone-else', 'cvmflow-expires-at': past });
  expect(liveVm(orphan)).toBeDefined();
  expect(ctx.env.sandboxes.prism.sandbox.cvms().filter((c) => c.name === prismName && c.status !== 'Inactive')).toHaveLength(1);

  // A second run finds nothing more to tear down.
  const again = (await (await cvmflow.startReconcileFleet({ providers: ['cudo'], providerCallTimeout: '10s' }, { workflowId: unique('reconcile') })).result()) as ReconcileFleetResult;
  expect(again.expired).toEqual([]);
});

test('reconcileFleet: a Phala lease (ttl) whose teardown was terminated is torn down by a new teardown', async () => {
  const name = unique('lease').toLowerCase();
  const created = await cvmflow.startProvisionPhalaCvm({ name, composeFile: 'services: {}\n', ttl: '1m', pollInterval: '200ms', runningDeadline: '60s', providerCallTimeout: '10s' }).then((s) => s.result());
  const soon = new Date(Date.now() + 1500).toISOString();
  await cvmflow.extendTeardown('phala', name, soon);
  await ctx.t.client.workflow.getHandle(created.teardown!.workflowId).terminate('test: the teardown died');
  await until('lease expired and visible', async () => {
    if (Date.now() < Date.parse(soon)) return false;
    const [td] = await cvmflow.list({ types: ['teardownCvm'], provider: 'phala', name });
    return td?.status === 'TERMINATED' && td.teardownAt === new Date(soon).toISOString();
  });
  await visible([lifecycleWorkflowId('phala', name)]);
  const result = (await (await cvmflow.startReconcileFleet({ providers: ['phala'], teardownPollInterval: '200ms', gracefulTimeout: '5s', providerCallTimeout: '10s' }, { workflowId: unique('reconcile') })).result()) as ReconcileFleetResult;
  expect(result.expired).toEqual([expect.objectContaining({ provider: 'phala', key: name, cvmId: created.cvmId, leaseExpiredAt: new Date(soon).toISOString(), action: 'teardown-started' })]);
  expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('phala', name)).result()).toMatchObject({ outcome: 'deleted' });
  expect(ctx.env.sandboxes.phala.sandbox.cvms().filter((c) => c.name === name)).toHaveLength(0);
});

test('reconcileFleet: teardownExpired=false only reports; a teardown scheduled later moves the lease past the mark', async () => {
  const vmId = vmIdOf('leased');
  await cvmflow.startCreateCudoVm(vmSpec(vmId, { metadata: { 'cvmflow-expires-at': past } })).then((s) => s.result());
  await visible([lifecycleWorkflowId('cudo', vmId)]);
  const report = (await (await cvmflow.startReconcileFleet({ providers: ['cudo'], teardownExpired: false, providerCallTimeout: '10s' }, { workflowId: unique('reconcile') })).result()) as ReconcileFleetResult;
  expect(report.expired.filter((e) => e.key === vmId)).toEqual([expect.objectContaining({ action: 'report-only' })]);
  expect(liveVm(vmId)).toBeDefined();
  const far = new Date(Date.now() + 3_600_000).toISOString();
  const td = await cvmflow.startTeardownCvm({ provider: 'cudo', cvmId: vmId, teardownAt: far, pollInterval: '200ms' });
  await until('teardown visible', async () => (await cvmflow.list({ types: ['teardownCvm'], name: vmId, status: 'running' })).length === 1);
  // The teardown's time is the lease now: the mark written at create is only the lease of last resort.
  const result = (await (await cvmflow.startReconcileFleet({ providers: ['cudo'], providerCallTimeout: '10s' }, { workflowId: unique('reconcile') })).result()) as ReconcileFleetResult;
  expect(result.expired.filter((e) => e.key === vmId)).toEqual([]);
  expect(liveVm(vmId)).toBeDefined();
  await cvmflow.cancelTeardown('cudo', vmId, 'test done');
  expect(await td.result()).toMatchObject({ outcome: 'cancelled' });
});

test('collectCvmStatistics: Prism statistics and CUDO monitor data of running CVMs', async () => {
  const vmId = vmIdOf('stats');
  await cvmflow.startCreateCudoVm(vmSpec(vmId)).then((s) => s.result());
  const name = unique('stats').toLowerCase();
  await cvmflow.startCreateAttestedPrismCvm({ name, pollInterval: '200ms', onlineDeadline: '60s', providerCallTimeout: '10s' }).then((s) => s.result());
  const run = await cvmflow.startCollectCvmStatistics({ providerCallTimeout: '10s' }, { workflowId: unique('stats') });
  const result = (await run.result()) as CollectCvmStatisticsResult;
  expect(result.providers).toMatchObject({ prism: { skipped: null }, cudo: { skipped: null } });
  expect(result.cvms).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'cudo', cvmId: vmId, error: null }), expect.objectContaining({ provider: 'prism', name, error: null })]));
  await recordHistory(ctx.t.client, run.workflowId, 'collectCvmStatistics', 'prism-and-cudo');
});

test('reattestCvms: a changed verdict is reported and, when configured, torn down', async () => {
  const name = unique('reatt').toLowerCase();
  const created = await cvmflow.startCreateAttestedPrismCvm({ name, pollInterval: '200ms', onlineDeadline: '60s', providerCallTimeout: '10s' }).then((s) => s.result());
  await visible([lifecycleWorkflowId('prism', name)]);
  const first = (await (await cvmflow.startReattestCvms({ providerCallTimeout: '10s' }, { workflowId: unique('reattest') })).result()) as ReattestCvmsResult;
  expect(first.cvms.find((c) => c.name === name)).toMatchObject({ managed: true, previouslyVerified: true, verified: true, changed: false });

  await ctx.env.sandboxes.prism.sandbox.tamperEvidence(created.cvmId);
  const run = await cvmflow.startReattestCvms({ providerCallTimeout: '10s', teardownOnChange: true, confirmAfter: '1s' }, { workflowId: unique('reattest') });
  const second = (await run.result()) as ReattestCvmsResult;
  const mine = second.cvms.find((c) => c.name === name)!;
  expect(mine).toMatchObject({ managed: true, verified: false, result: 'failed', previous: 'verified', confirmed: true, action: 'teardown-started', changed: true, teardownWorkflowId: teardownWorkflowId('prism', name) });
  expect(mine.failures).toContain('snp.signature');
  await recordHistory(ctx.t.client, run.workflowId, 'reattestCvms', 'changed-verdict-teardown');
  expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('prism', name)).result()).toMatchObject({ outcome: 'deleted' });
});
