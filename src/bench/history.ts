// History events per workflow for a full run, and for the same run when the CVM takes 10x longer to boot
// (and to stop and delete): waits are heartbeating activities, so history should stay flat as time grows.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { CudoClient } from '../providers/cudo/client';
import { startBenchDevServer } from './dev-server';
import { defaultWorkflowSource } from '../worker/worker';
import { startSandboxedProviders } from './sandboxed';
import { countCpu } from './cpu';

export interface HistoryRow {
  workflow: string;
  events: number;
  eventsSlowBoot: number;
  seconds: number;
  secondsSlowBoot: number;
}

interface Run {
  type: string;
  args: (id: string) => unknown[];
}

const RUNS: Run[] = [
  { type: 'provisionPhalaCvm', args: (id) => [{ name: `bench-${id}`, composeFile: 'services: {}\n', pollInterval: '1s', providerCallTimeout: '10s' }] },
  { type: 'createAttestedPrismCvm', args: (id) => [{ name: `bench-${id}`, pollInterval: '1s', providerCallTimeout: '10s' }] },
  { type: 'createCudoVm', args: (id) => [{ vmId: `bench-${id}`, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '1s', providerCallTimeout: '10s' }] },
];

async function runAll(address: string, speed: number, tag: string): Promise<Map<string, { events: number; seconds: number }>> {
  const taskQueue = `bench-history-${tag}`;
  const providers = await startSandboxedProviders(taskQueue, speed);
  const activities = providers.activities;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, activities, workflowsPath: require.resolve('../workflows') });
  const out = new Map<string, { events: number; seconds: number }>();
  await worker.runUntil(async () => {
    await Promise.all(
      RUNS.map(async (r, i) => {
        const started = Date.now();
        const id = `${tag}-${i}`;
        const handle = await client.workflow.start(r.type, { taskQueue, workflowId: `bench/${id}`, args: r.args(id) });
        await handle.result();
        out.set(r.type, { events: (await handle.fetchHistory()).events?.length ?? 0, seconds: (Date.now() - started) / 1000 });
      }),
    );
    // Day-2 and teardown on the CUDO VM just created: stop it, then tear it down.
    const vmId = `bench-${tag}-2`;
    for (const [type, args] of [
      ['operateCvm', [{ provider: 'cudo', cvmId: vmId, action: 'stop', pollInterval: '1s', providerCallTimeout: '10s' }]],
      ['teardownCvm', [{ provider: 'cudo', cvmId: vmId, pollInterval: '1s', providerCallTimeout: '10s' }]],
    ] as const) {
      const started = Date.now();
      const handle = await client.workflow.start(type, { taskQueue, workflowId: `bench/${tag}-${type}`, args: [...args] });
      await handle.result();
      out.set(type, { events: (await handle.fetchHistory()).events?.length ?? 0, seconds: (Date.now() - started) / 1000 });
    }
  });
  await Promise.all([connection.close(), nativeConnection.close(), providers.close()]);
  return out;
}

/** Starts its own dev server; `speed` is the sandbox speed of the normal run (the slow run uses speed / 10). */
export async function benchLifecycleHistory(speed = 20): Promise<HistoryRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-'));
  const server = await startBenchDevServer(dir);
  try {
    const normal = await runAll(server.address, speed, 'normal');
    const slow = await runAll(server.address, speed / 10, 'slow');
    return [...normal.keys()].map((type) => ({
      workflow: type,
      events: normal.get(type)!.events,
      eventsSlowBoot: slow.get(type)!.events,
      seconds: normal.get(type)!.seconds,
      secondsSlowBoot: slow.get(type)!.seconds,
    }));
  } finally {
    await server.stop();
  }
}

/** A batch's rate, and the CPU this process (its worker and the bench's client) spent per workflow meanwhile. */
export interface ThroughputResult {
  count: number;
  seconds: number;
  cpuMsPerWorkflow: number;
  /** The sandbox process's CPU per workflow (the stand-in provider), where there is one. */
  providerCpuMsPerWorkflow?: number;
  /** The Temporal server's CPU per workflow, when its pid was given. */
  serverCpuMsPerWorkflow?: number;
}

/** CUDO create → ACTIVE lifecycles started at once against `address`, one worker with the production bundle when
 * built: lifecycles per second. `warmup` of them first, untimed (worker start-up and pollers, as the trivial and
 * floor rates have); at most 64 in all (the sandbox data center's public IPv4 addresses). */
export async function benchLifecycleThroughput(address: string, count: number, speed = 50, opts: { dataConverter?: DataConverter; warmup?: number; serverPid?: number } = {}): Promise<ThroughputResult & { lifecyclesPerSecond: number }> {
  // the sandbox in a process of its own: a real provider's HTTP handling is not on the worker's event loop
  const child = fork(join(__dirname, 'sandbox-main.js'), [], { env: { ...process.env, SANDBOX_SPEED: String(speed) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sandbox = await new Promise<{ url: string; apiKey: string; projectId: string }>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the bench sandbox exited (${code}) before it was listening`)));
  });
  const cudo = new CudoClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, projectId: sandbox.projectId });
  const taskQueue = `bench-lifecycles-${Date.now()}`;
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'disabled', prism: 'disabled', cudo: 'sandbox' } }, cudo });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: opts.dataConverter });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, activities, ...defaultWorkflowSource(), dataConverter: opts.dataConverter });
  const batch = (n: number, from: number) =>
    Promise.all(
      Array.from({ length: n }, async (_, j) => {
        const vmId = `tp-${taskQueue.slice(-6)}-${from + j}`;
        const h = await client.workflow.start('createCudoVm', {
          taskQueue,
          workflowId: `bench/${vmId}`,
          args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '500ms', providerCallTimeout: '10s' }],
        });
        return h.result();
      }),
    );
  const warmup = Math.min(opts.warmup ?? 0, Math.max(0, 64 - count));
  let seconds = 0;
  let cpu: { worker: number; provider?: number; server?: number } = { worker: 0 };
  await worker.runUntil(async () => {
    await batch(warmup, count);
    const started = Date.now();
    const counting = countCpu({ provider: child.pid, server: opts.serverPid });
    await batch(count, 0);
    seconds = (Date.now() - started) / 1000;
    const used = counting.stop(count);
    cpu = { worker: used.ownMsPerWorkflow, ...used.othersMsPerWorkflow };
  });
  await Promise.all([connection.close(), nativeConnection.close(), cudo.close()]);
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' });
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  return { lifecyclesPerSecond: count / seconds, count, seconds, cpuMsPerWorkflow: cpu.worker, providerCpuMsPerWorkflow: cpu.provider, serverCpuMsPerWorkflow: cpu.server };
}

/**
 * The Temporal floor of a lifecycle's rate: `count` minimal workflows making the same calls of the same kinds
 * (`calls`, one letter per call: `A` an activity, `L` a local one) started at once on a minimal worker with the
 * tiny bundle, after `warmup` of them: workflows per second.
 */
export async function benchFloorThroughput(address: string, count: number, tinyBundle: string, calls: string, warmup = 10, serverPid?: number): Promise<ThroughputResult & { workflowsPerSecond: number }> {
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `bench-floor-rate-${Date.now()}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: { codePath: tinyBundle }, activities: { noop: async () => undefined } });
  const batch = async (n: number, prefix: string) => {
    const handles = await Promise.all(Array.from({ length: n }, (_, i) => client.workflow.start('tinyActivities', { taskQueue, workflowId: `${prefix}-${i}`, args: [calls] })));
    await Promise.all(handles.map((h) => h.result()));
  };
  try {
    return await worker.runUntil(async () => {
      await batch(warmup, `${taskQueue}-warmup`);
      const started = Date.now();
      const counting = countCpu({ server: serverPid });
      await batch(count, taskQueue);
      const seconds = (Date.now() - started) / 1000;
      const used = counting.stop(count);
      return { workflowsPerSecond: count / seconds, count, seconds, cpuMsPerWorkflow: used.ownMsPerWorkflow, serverCpuMsPerWorkflow: used.othersMsPerWorkflow.server };
    });
  } finally {
    await Promise.all([connection.close(), nativeConnection.close()]);
  }
}
