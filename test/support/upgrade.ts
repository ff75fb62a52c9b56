// The upgrade scenario (README "Upgrading cvmflow"), shared by the dev server test (test/integration/upgrade.test.ts)
// and the 2-node cluster test (test/cluster/upgrade.test.ts): two worker processes of two builds from this
// checkout, build A (lib/workflow-bundle.js) and build B (test/support/workflows/upgrade-b: a patched() step in
// teardownCvm, a new activity in createCudoVm). A starts a lifecycle with a ttl (its teardown waits) and a slow
// one; `cvmflow deploy promote` ramps B and makes it current; then the pending teardown, brought forward by an update, completes on B at its new time with
// exactly its CVM deleted, the PINNED lifecycle started on A finishes on A, a new lifecycle runs on B, A drains,
// and promoting A again rolls back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describeDeployment } from '../../src/client/deployments';
import { extendTeardownUpdate } from '../../src/contract/teardown';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../src/contract/workflow-ids';
import { PRODUCTION_BUNDLE } from '../../src/worker/worker';
import { buildIdOfBundle, buildIdOfBundleFile } from '../../src/worker/versioning';
import { runCvmflow } from './cli';
import type { LifecycleEnv } from './lifecycle';
import { unique } from './temporal';
import { startWorkerProcess, workerEnv, type WorkerProcess } from './worker-process';
import { UPGRADE_PATCH } from './workflows/upgrade-b';
import { PATCH_LEAN_HISTORY } from '../../src/workflows/support/options';

export interface UpgradeBuilds {
  bundleB: string;
  buildA: string;
  buildB: string;
}

/** Bundles build B into `dir`; build A is the production bundle `npm run build` wrote. */
export async function prepareBuilds(dir: string, name: string): Promise<UpgradeBuilds> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/upgrade-b'),
    workflowInterceptorModules: [require.resolve('../../src/workflows/interceptors')],
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
  });
  const bundleB = join(dir, `upgrade-b-${name}.js`);
  writeFileSync(bundleB, code);
  return { bundleB, buildA: buildIdOfBundleFile(PRODUCTION_BUNDLE), buildB: buildIdOfBundle(code) };
}

export interface UpgradeScenario {
  client: Client;
  address: string;
  namespace: string;
  env: LifecycleEnv;
  builds: UpgradeBuilds;
  taskQueue: string;
  /** Worker processes started here, for the caller's afterAll to stop. */
  workers: WorkerProcess[];
  /** Wait until A shows as drained (needs the fast drainage dynamic config; minutes otherwise). */
  expectDrained: boolean;
}

export async function until<T>(what: () => Promise<T | undefined> | T | undefined, label: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The build id of every workflow task completion in the history, in order. */
async function buildsOf(client: Client, workflowId: string): Promise<string[]> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  return (h.events ?? []).flatMap((e) => {
    const a = e.workflowTaskCompletedEventAttributes;
    return a ? [a.deploymentVersion?.buildId ?? a.workerVersion?.buildId ?? '(none)'] : [];
  });
}

/** pids that ran `cvmflowWorkerInfo` for this workflow (the activity returns its worker's pid). */
async function workerInfoPids(client: Client, workflowId: string): Promise<number[]> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Set((h.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'cvmflowWorkerInfo').map((e) => String(e.eventId)));
  return (h.events ?? [])
    .filter((e) => e.activityTaskCompletedEventAttributes && scheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)))
    .map((e) => (JSON.parse(Buffer.from(e.activityTaskCompletedEventAttributes!.result!.payloads![0]!.data!).toString('utf8')) as { pid: number }).pid);
}

async function patchMarkers(client: Client, workflowId: string): Promise<string[]> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  return (h.events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .flatMap((e) => Object.values(e.markerRecordedEventAttributes!.details ?? {}).flatMap((p) => p.payloads ?? []))
    .map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')) as { id?: string })
    .flatMap((d) => (d.id ? [d.id] : []));
}

const fast = { pollInterval: '200ms', providerCallTimeout: '30s', activeDeadline: '2m' };
const vmSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, ...fast });
const liveVm = (env: LifecycleEnv, id: string) => {
  const vm = env.sandboxes.cudo.sandbox.vm(id);
  return vm && vm.state !== 'DELETED' ? vm : undefined;
};

/** Runs the whole upgrade and checks every claim; returns how long it took (ms). */
export async function runUpgradeScenario(o: UpgradeScenario): Promise<number> {
  const { client, env, taskQueue, workers } = o;
  const { bundleB, buildA, buildB } = o.builds;
  const deployment = `cvmflow-${taskQueue}`;
  const started = Date.now();
  expect(buildA).not.toBe(buildB);
  const base = { CVMFLOW_DEPLOYMENT_NAME: deployment, TEMPORAL_ADDRESS: o.address, TEMPORAL_NAMESPACE: o.namespace };
  // A becomes current on its own (a first deploy); B only serves what is routed to it until promoted.
  const [a, b] = await Promise.all([
    startWorkerProcess(workerEnv(env, taskQueue, { ...base, CVMFLOW_DEPLOYMENT_PROMOTE: 'first' })),
    startWorkerProcess(workerEnv(env, taskQueue, { ...base, CVMFLOW_DEPLOYMENT_PROMOTE: 'never', CVMFLOW_WORKFLOW_BUNDLE: bundleB })),
  ]);
  workers.push(a, b);
  expect(a.output()).toContain(`${deployment}:${buildA}`);
  expect(b.output()).toContain(`${deployment}:${buildB}`);
  await until(async () => (await describeDeployment(client, deployment).catch(() => undefined))?.current === buildA, 'build A to be current');
  await until(async () => (await describeDeployment(client, deployment)).versions.some((v) => v.buildId === buildB), 'build B to register');

  // On A: a lifecycle with a ttl (its teardown waits), and a slow one still creating when B takes over.
  const ttlVm = unique('ttl').toLowerCase();
  const slowVm = unique('slow').toLowerCase();
  const ttl = await client.workflow.execute('createCudoVm', { taskQueue, workflowId: lifecycleWorkflowId('cudo', ttlVm), args: [{ ...vmSpec(ttlVm), ttl: '5m' }] });
  expect(ttl.teardown?.workflowId).toBe(teardownWorkflowId('cudo', ttlVm));
  env.sandboxes.cudo.sandbox.server.faults.add({ endpoint: 'cudoCreateVm', fault: { type: 'latency', ms: 12_000 } });
  const slow = await client.workflow.start('createCudoVm', { taskQueue, workflowId: lifecycleWorkflowId('cudo', slowVm), args: [vmSpec(slowVm)] });
  await until(() => env.sandboxes.cudo.sandbox.server.calls('cudoCreateVm').length >= 2, 'the slow create request');
  const teardown = client.workflow.getHandle(ttl.teardown!.workflowId);
  expect((await teardown.describe()).status.name).toBe('RUNNING');
  expect(await buildsOf(client, teardown.workflowId)).toEqual([buildA]);

  // Roll out B: a ramp first, then all of it.
  const cli = (...args: string[]) => runCvmflow([...args, '--deployment', deployment, '--address', o.address, '--namespace', o.namespace], {});
  const before = await describeDeployment(client, deployment);
  expect(before.versions.find((v) => v.buildId === buildB)?.status).toBe('inactive');
  const ramp = await cli('deploy', 'promote', buildB, '--ramp', '10%');
  expect([ramp.code, ramp.stdout]).toEqual([0, `${deployment}:${buildB} now gets 10% of new workflows (current: ${buildA})\n`]);
  expect((await describeDeployment(client, deployment)).ramping).toEqual({ buildId: buildB, percentage: 10 });
  const promote = await runCvmflow(['deploy', 'promote', buildB, '--deployment', deployment, '--address', o.address, '--namespace', o.namespace], {});
  expect(promote.stderr).toBe('');
  expect(promote.stdout).toContain(`${deployment}:${buildB} is now the current version (was ${buildA}`);
  expect(promote.code).toBe(0);
  const status = await runCvmflow(['deploy', 'status', '--deployment', deployment, '--address', o.address, '--namespace', o.namespace, '--json'], {});
  expect(status.code).toBe(0);
  const s = JSON.parse(status.stdout) as Awaited<ReturnType<typeof describeDeployment>>;
  expect(s.current).toBe(buildB);
  expect(s.versions.find((v) => v.buildId === buildA)?.status).toBe('draining');
  const table = await runCvmflow(['deploy', 'status', '--deployment', deployment, '--address', o.address, '--namespace', o.namespace], {});
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(new RegExp(`^current +${buildB}$`, 'm'));
  expect(table.stdout).toMatch(new RegExp(`^${buildA} +draining +[1-9]\\d* +\\d{4}-`, 'm')); // the slow lifecycle and the teardown are open on A
  expect(table.stdout).toMatch(new RegExp(`^${buildB} +current +\\d+ +\\d{4}-`, 'm'));
  process.stderr.write(`cvmflow deploy status after the promotion:\n${table.stdout}`);

  // A new lifecycle runs B's code on B.
  const newVm = unique('new').toLowerCase();
  const fresh = await client.workflow.execute('createCudoVm', { taskQueue, workflowId: lifecycleWorkflowId('cudo', newVm), args: [vmSpec(newVm)] });
  expect(fresh.state).toBe('ACTIVE');
  expect(new Set(await buildsOf(client, lifecycleWorkflowId('cudo', newVm)))).toEqual(new Set([buildB]));
  expect(await workerInfoPids(client, lifecycleWorkflowId('cudo', newVm))).toEqual([b.child.pid]);

  // The PINNED lifecycle started on A finishes on A, with A's code (no new activity).
  expect((await slow.result()).state).toBe('ACTIVE');
  expect(new Set(await buildsOf(client, slow.workflowId))).toEqual(new Set([buildA]));
  expect(await workerInfoPids(client, slow.workflowId)).toEqual([]);
  expect((await slow.describe()).raw.workflowExecutionInfo?.versioningInfo?.behavior).toBe(1); // PINNED

  // The teardown that waited on A is brought forward (an update, served by B: the teardown upgrades on its next
  // task) and completes on B at its new time, with B's patched step, and deletes exactly its VM.
  const moved = await teardown.executeUpdate(extendTeardownUpdate, { args: [{ teardownAt: new Date(Date.now() + 2_000).toISOString() }] });
  expect(Date.parse(moved.teardownAt)).toBeLessThan(Date.parse(ttl.teardown!.teardownAt));
  const done = await teardown.result();
  expect(done).toMatchObject({ outcome: 'deleted', cvmId: ttlVm, teardownAt: moved.teardownAt });
  expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(moved.teardownAt));
  const builds = await buildsOf(client, teardown.workflowId);
  expect(builds[0]).toBe(buildA);
  expect(builds.at(-1)).toBe(buildB);
  // (A and B both start runs with the lean-history patch, which implies every earlier one, the ownership proof
  // before the delete included; B's own patch comes on top)
  expect(await patchMarkers(client, teardown.workflowId)).toEqual([PATCH_LEAN_HISTORY, UPGRADE_PATCH]);
  expect(await workerInfoPids(client, teardown.workflowId)).toEqual([b.child.pid]);
  expect((await teardown.describe()).raw.workflowExecutionInfo?.versioningInfo?.behavior).toBe(2); // AUTO_UPGRADE
  expect(liveVm(env, ttlVm)).toBeUndefined();
  expect(liveVm(env, slowVm)?.state).toBe('ACTIVE');
  expect(liveVm(env, newVm)?.state).toBe('ACTIVE');
  expect(env.sandboxes.cudo.sandbox.server.calls('cudoTerminateVm').map((c) => c.path)).toEqual([expect.stringContaining(`/vms/${ttlVm}/terminate`)]);

  // Nothing open is left on A: it drains (the status follows visibility after a grace period), and its workers may go.
  await until(async () => (await describeDeployment(client, deployment)).versions.find((v) => v.buildId === buildA)?.openWorkflows === 0, 'no open workflows on build A');
  if (o.expectDrained) await until(async () => (await describeDeployment(client, deployment)).versions.find((v) => v.buildId === buildA)?.status === 'drained', 'build A to drain', 90_000);
  const took = Date.now() - started;

  // Roll back: A, whose workers still run, is current again; B is no longer.
  const back = await cli('deploy', 'promote', buildA);
  expect([back.code, back.stdout]).toEqual([0, `${deployment}:${buildA} is now the current version (was ${buildB}; its pinned workflows finish on it: keep its workers until \`cvmflow deploy status\` says drained)\n`]);
  const after = await describeDeployment(client, deployment);
  expect([after.current, after.ramping, after.versions.find((v) => v.buildId === buildB)?.status]).toEqual([buildA, undefined, 'draining']);
  return took;
}
