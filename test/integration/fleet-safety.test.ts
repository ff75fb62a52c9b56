// reconcileFleet acts only on proof, within limits, at any fleet size: a same-named Prism CVM is never taken for
// cvmflow's, the blast-radius limit stops a run that would tear down too much, and 20,000 visibility records are read
// page by page. Every assertion about CVMs reads the sandbox's own records.
import { spawnSync } from 'node:child_process';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createFleetActivities } from '../../src/activities/fleet';
import { CvmflowClient } from '../../src/client';
import type { ReconcileFleetResult } from '../../src/contract/fleet';
import { CvmId, CvmProvider } from '../../src/contract/search-attributes';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../src/contract/workflow-ids';
import { registerSearchAttributes } from '../../src/worker/dev-server';
import { recordHistory } from '../support/histories';
import { useLifecycleWorker } from '../support/lifecycle';
import { testAddress, testBundle, unique } from '../support/temporal';

const ctx = useLifecycleWorker('fleet-safety', 50, (t) => createFleetActivities({ temporalClient: t.client }));
let cvmflow: CvmflowClient;
beforeAll(() => {
  cvmflow = new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue });
});

const past = '2001-01-01T00:00:00Z';
const fastReconcile = { teardownPollInterval: '200ms', gracefulTimeout: '0s', providerCallTimeout: '30s' };
const vmSpec = (vmId: string, extra: object = {}) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms', activeDeadline: '120s', providerCallTimeout: '10s', ...extra });
const liveVm = (id: string) => {
  const vm = ctx.env.sandboxes.cudo.sandbox.vm(id);
  return vm && vm.state !== 'DELETED' ? vm : undefined;
};

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function visible(client: CvmflowClient, workflowIds: string[]): Promise<void> {
  await until('visibility', async () => {
    const listed = new Set((await client.list({ types: ['createCudoVm', 'createAttestedPrismCvm'], limit: 100_000 })).filter((w) => w.status === 'COMPLETED' && w.cvmId).map((w) => w.workflowId));
    return workflowIds.every((id) => listed.has(id));
  });
}

test('reconcileFleet: a same-named Prism CVM is reported as a namesake and never touched; the recorded one is torn down', async () => {
  const name = unique('lease').toLowerCase();
  const created = await cvmflow.startCreateAttestedPrismCvm({ name, ttl: '1h', pollInterval: '200ms', onlineDeadline: '120s', providerCallTimeout: '10s' }).then((s) => s.result());
  await ctx.env.activities.prismCreateCvm({ name, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: false });
  const stranger = ctx.env.sandboxes.prism.sandbox.cvms().find((c) => c.name === name && c.id !== created.cvmId)!;
  // The lease ends now and its teardown dies: the reconciler must start a new teardown, for the recorded CVM only.
  const soon = new Date(Date.now() + 1500).toISOString();
  await cvmflow.extendTeardown('prism', name, soon);
  await ctx.t.client.workflow.getHandle(created.teardown!.workflowId).terminate('test: the teardown died');
  await until('lease expired and visible', async () => {
    const [td] = await cvmflow.list({ types: ['teardownCvm'], provider: 'prism', name });
    return Date.now() > Date.parse(soon) && td?.status === 'TERMINATED' && td.teardownAt === new Date(soon).toISOString();
  });
  await visible(cvmflow, [lifecycleWorkflowId('prism', name)]);

  const result = (await (await cvmflow.startReconcileFleet({ providers: ['prism'], ...fastReconcile }, { workflowId: unique('reconcile') })).result()) as ReconcileFleetResult;
  expect(result.expired.filter((e) => e.key === name)).toEqual([expect.objectContaining({ cvmId: created.cvmId, action: 'teardown-started' })]);
  expect(result.orphans.filter((o) => o.key === name)).toEqual([expect.objectContaining({ cvmId: stranger.id, namesake: true, marked: false })]);
  expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('prism', name)).result()).toMatchObject({ outcome: 'deleted', cvmId: created.cvmId });
  expect(ctx.env.sandboxes.prism.sandbox.cvm(created.cvmId)!.status).toBe('Inactive');
  expect(ctx.env.sandboxes.prism.sandbox.cvm(stranger.id)!.status).not.toBe('Inactive');
});

test('reconcileFleet: many expired leases → it stops at the blast-radius limit, leaves the rest, and fails loudly', async () => {
  const vmIds = Array.from({ length: 6 }, () => unique('lapsed').toLowerCase());
  await Promise.all(vmIds.map((id) => cvmflow.startCreateCudoVm(vmSpec(id, { metadata: { 'cvmflow-expires-at': past } })).then((s) => s.result())));
  await visible(cvmflow, vmIds.map((id) => lifecycleWorkflowId('cudo', id)));

  // continueAsNewAfterEvents 1: the sweep continues as new after each teardown, and the budget goes with it.
  const run = await cvmflow.startReconcileFleet({ providers: ['cudo'], blastRadius: { maxPercent: 100, maxCount: 2 }, continueAsNewAfterEvents: 1, ...fastReconcile }, { workflowId: unique('reconcile') });
  const err = (await run.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toMatchObject({ type: 'BlastRadiusExceeded' });
  expect(err.cause!.message).toMatch(/2 of \d+ CVMs acted on \(limit 2\); \d+ more were due and left untouched/);
  const report = (err.cause as { details?: unknown[] }).details![0] as ReconcileFleetResult;
  const mine = report.expired.filter((e) => vmIds.includes(e.key));
  const started = mine.filter((e) => e.action === 'teardown-started').map((e) => e.key);
  expect(started).toHaveLength(2);
  expect(mine.filter((e) => e.action === 'refused-blast-radius')).toHaveLength(4);

  await until('three runs visible', async () => (await ctx.t.client.workflow.count(`WorkflowId = '${run.workflowId}'`)).count === 3);
  await recordHistory(ctx.t.client, run.workflowId, 'reconcileFleet', 'blast-radius-continued');

  for (const id of started) expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('cudo', id)).result()).toMatchObject({ outcome: 'deleted', cvmId: id });
  expect(vmIds.filter((id) => !liveVm(id)).sort()).toEqual([...started].sort());
  for (const id of vmIds.filter((v) => !started.includes(v))) {
    expect(liveVm(id)?.state).toBe('ACTIVE');
    await expect(ctx.t.client.workflow.getHandle(teardownWorkflowId('cudo', id)).describe()).rejects.toThrow(/not found/i);
  }
  // Cleaned up by hand, as an operator would after reading the report (later tests share this sandbox).
  for (const id of vmIds.filter((v) => !started.includes(v))) await ctx.env.activities.cudoTerminateVm({ id });
});

test('createCudoVm with a ttl writes its lease mark (cvmflow-expires-at) on the VM', async () => {
  const vmId = unique('marked').toLowerCase();
  const before = Date.now();
  const created = await cvmflow.startCreateCudoVm(vmSpec(vmId, { ttl: '1h' })).then((s) => s.result());
  const mark = Date.parse(liveVm(vmId)!.metadata!['cvmflow-expires-at']!);
  // From the create on, so never later than the teardown (an hour after the VM was ready).
  expect(mark).toBeGreaterThanOrEqual(before + 3_600_000);
  expect(mark).toBeLessThanOrEqual(Date.parse(created.teardown!.teardownAt));
  await cvmflow.cancelTeardown('cudo', vmId, 'test done');
});

test('reconcileFleet over 20,000 visibility records completes, reading them page by page', async () => {
  // A namespace of its own, so the 20,000 records do not slow the other fleet tests of this run.
  const namespace = unique('fleet-20k');
  const cli = process.env.CVMFLOW_TEST_TEMPORAL_CLI!;
  const created = spawnSync(cli, ['operator', 'namespace', 'create', '--address', testAddress(), '--namespace', namespace, '--retention', '1d'], { encoding: 'utf8', timeout: 30_000 });
  if (created.status !== 0) throw new Error(`namespace create failed: ${created.stderr}`);
  registerSearchAttributes(cli, testAddress(), namespace);
  const client = new Client({ connection: ctx.t.client.connection, namespace });
  const taskQueue = unique('fleet-20k');
  const worker = await Worker.create({ connection: ctx.t.nativeConnection, namespace, taskQueue, workflowBundle: testBundle(), activities: { ...ctx.env.activities, ...createFleetActivities({ temporalClient: client }) } });
  await worker.runUntil(async () => {
    // One CVM cvmflow made whose lease expired, among 20,000 lifecycle records of CVMs still being created:
    // records of the lifecycle form, started on a task queue no worker polls (what loadRecords reads is the
    // visibility entry: id, type, status and search attributes, nothing more).
    const expired = unique('needle').toLowerCase();
    const ns = new CvmflowClient(client, { taskQueue });
    await ns.startCreateCudoVm(vmSpec(expired, { metadata: { 'cvmflow-expires-at': past } })).then((s) => s.result());
    const t0 = Date.now();
    const idle = unique('nobody-polls');
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < 20_000; i = next++) {
          const vmId = `bulk-${String(i).padStart(5, '0')}`;
          await client.workflow.start('createCudoVm', { taskQueue: idle, workflowId: lifecycleWorkflowId('cudo', vmId), args: [vmSpec(vmId)], typedSearchAttributes: [{ key: CvmProvider, value: 'cudo' }, { key: CvmId, value: vmId }] });
        }
      }),
    );
    console.log(`started 20,000 lifecycle records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await until('20,000 records visible', async () => (await client.workflow.count(`WorkflowType = 'createCudoVm'`)).count >= 20_001, 120_000);

    const t1 = Date.now();
    const workflowId = unique('reconcile');
    const result = (await client.workflow.execute('reconcileFleet', { taskQueue, workflowId, args: [{ providers: ['cudo'], ...fastReconcile }] })) as ReconcileFleetResult;
    console.log(`reconcileFleet over 20,001 records: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    expect(result.expired).toEqual([expect.objectContaining({ key: expired, action: 'teardown-started' })]);
    expect(result.missing).toEqual([]);
    expect(await client.workflow.getHandle(teardownWorkflowId('cudo', expired)).result()).toMatchObject({ outcome: 'deleted' });
    expect(liveVm(expired)).toBeUndefined();

    // Every page was its own activity result, each far below the 2 MB payload limit.
    // Read in small pages: the whole history (about 250 KB per visibility page) is more than one gRPC message holds.
    const events = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, maximumPageSize: 20, nextPageToken });
      events.push(...(res.history?.events ?? []));
      nextPageToken = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (nextPageToken);
    const history = { events };
    const results = (history.events ?? []).map((e) => (e.activityTaskCompletedEventAttributes?.result?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join(''));
    const sizes = results.filter((r) => r.includes('"nextPageToken"')).map((r) => r.length);
    const pages = sizes;
    console.log(`${pages.length} visibility pages, largest ${Math.max(...sizes)} bytes, history ${history.events?.length} events`);
    expect(pages.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...sizes)).toBeLessThan(512 * 1024);
  });
}, 1_800_000);
