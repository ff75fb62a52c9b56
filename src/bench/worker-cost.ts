// What one workflow costs cvmflow's production worker, each figure beside a reference measured on the same dev
// server in the same run (issue 16, goals 1 and 2):
// - parked teardowns: N `teardownCvm` waiting one day ahead on the production worker with its defaults; worker RSS
//   delta and the time until every one has run its first task, against the server's time to accept the N starts;
// - per first workflow task: RSS and CPU of the production worker (teardownCvm) against a minimal TypeScript
//   worker running a tiny bundle (a workflow that sleeps), the same number of workflows each.
// Each worker runs in its own process (src/bench/worker-probe-main.ts) so its memory and CPU are its own.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ProbeMessage, ProbeSample } from './worker-probe-main';

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

/** Bundles src/bench/tiny-workflows once per run (the minimal worker's bundle). */
export async function tinyBundlePath(): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./tiny-workflows'), logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error } });
  const path = join(mkdtempSync(join(tmpdir(), 'cvmflow-bench-tiny-')), 'tiny-bundle.js');
  writeFileSync(path, code);
  return path;
}

class Probe {
  private waiting: ((m: ProbeMessage) => void)[] = [];
  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: ProbeMessage) => this.waiting.shift()?.(m));
  }

  static async start(kind: 'production' | 'minimal', address: string, taskQueue: string, env: Record<string, string> = {}): Promise<Probe> {
    const child = fork(join(__dirname, 'worker-probe-main.js'), [], { env: { ...process.env, PROBE_KIND: kind, PROBE_ADDRESS: address, PROBE_TASK_QUEUE: taskQueue, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const probe = new Probe(child);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the ${kind} worker probe exited (${code}) before it was ready`))));
    await Promise.race([probe.next(), exited]);
    return probe;
  }

  private next(): Promise<ProbeMessage> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async sample(): Promise<ProbeSample> {
    const reply = this.next();
    this.child.send({ type: 'sample' });
    return (await reply) as ProbeSample;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Starts `n` workflows with at most `concurrency` start calls in flight; seconds until the last was accepted. */
async function startAll(n: number, concurrency: number, start: (i: number) => Promise<unknown>): Promise<number> {
  const began = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await start(next++);
    }),
  );
  return Number(process.hrtime.bigint() - began) / 1e9;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function teardownArgs(i: number, tag: string): unknown[] {
  return [{ provider: 'cudo', cvmId: `bench-park-${tag}-${i}`, teardownAt: new Date(Date.now() + DAY_MS).toISOString(), reason: 'bench' }];
}

export interface FirstTaskCost {
  workflows: number;
  rssBytesPerWorkflow: number;
  cpuMsPerWorkflow: number;
}

/**
 * RSS and CPU a worker spends per workflow on its first task: `warmup` workflows first (worker start-up, pollers,
 * the first context), then `n` more, all parked; the deltas between the two samples, divided by `n`.
 */
async function firstTaskCost(client: Client, address: string, kind: 'production' | 'minimal', n: number, bundle: string): Promise<FirstTaskCost> {
  const taskQueue = `bench-cost-${kind}-${randomUUID().slice(0, 8)}`;
  const warmup = 20;
  // Every workflow stays cached, so each one's cost is in the figure (no eviction makes room).
  const probe = await Probe.start(kind, address, taskQueue, { CVMFLOW_MAX_CACHED_WORKFLOWS: String(warmup + n + 100), ...(kind === 'minimal' ? { PROBE_BUNDLE: bundle } : {}) });
  try {
    const start = (i: number, tag: string) =>
      kind === 'production'
        ? client.workflow.start('teardownCvm', { taskQueue, workflowId: `${taskQueue}-${tag}-${i}`, args: teardownArgs(i, `${taskQueue}-${tag}`) })
        : client.workflow.start('tinyPark', { taskQueue, workflowId: `${taskQueue}-${tag}-${i}`, args: [DAY_MS] });
    await startAll(warmup, 20, (i) => start(i, 'warmup'));
    await until(async () => (await probe.sample()).cachedWorkflows >= warmup, 120_000, 'the warm-up workflows');
    await new Promise((r) => setTimeout(r, 1000));
    const before = await probe.sample();
    await startAll(n, 50, (i) => start(i, 'measured'));
    await until(async () => (await probe.sample()).cachedWorkflows >= warmup + n, 600_000, `${n} workflows to run their first task`);
    await new Promise((r) => setTimeout(r, 500));
    const after = await probe.sample();
    return { workflows: n, rssBytesPerWorkflow: (after.rssBytes - before.rssBytes) / n, cpuMsPerWorkflow: (after.cpuMicros - before.cpuMicros) / 1000 / n };
  } finally {
    await probe.stop();
  }
}

export interface WorkerCostResult {
  production: FirstTaskCost;
  minimal: FirstTaskCost;
}

/** Production worker (teardownCvm) vs minimal worker (tinyPark), `n` workflows each, minimal first. */
export async function benchWorkerCost(client: Client, address: string, n: number, bundle: string): Promise<WorkerCostResult> {
  const minimal = await firstTaskCost(client, address, 'minimal', n, bundle);
  const production = await firstTaskCost(client, address, 'production', n, bundle);
  return { production, minimal };
}

export interface ParkedWorkflows {
  workflows: number;
  /** Seconds the server took to accept the N start calls (the reference). */
  acceptSeconds: number;
  /** Seconds from the first start call until every workflow had run its first task (CvmStep "scheduled"). */
  parkSeconds: number;
  rssDeltaBytes: number;
  cachedWorkflows: number;
  slowTaskWarnings: number;
}

/**
 * N workflows parked one day ahead: `teardownCvm` on the production worker with its default settings (`env` may add
 * CVMFLOW_* ones), or `tinyPark` (the same search attribute and timer) on the minimal worker.
 */
export async function benchParked(client: Client, address: string, kind: 'production' | 'minimal', n: number, bundle: string, env: Record<string, string> = {}): Promise<ParkedWorkflows> {
  const taskQueue = `bench-park-${kind}-${randomUUID().slice(0, 8)}`;
  const probe = await Probe.start(kind, address, taskQueue, { ...env, ...(kind === 'minimal' ? { PROBE_BUNDLE: bundle } : {}) });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = await probe.sample();
    const began = process.hrtime.bigint();
    const acceptSeconds = await startAll(n, 50, (i) =>
      kind === 'production'
        ? client.workflow.start('teardownCvm', { taskQueue, workflowId: `${taskQueue}-${i}`, args: teardownArgs(i, taskQueue) })
        : client.workflow.start('tinyPark', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [DAY_MS] }),
    );
    const query = `TaskQueue = '${taskQueue}' AND CvmStep = 'scheduled'`;
    await until(async () => (await client.workflow.count(query)).count >= n, 3_600_000, `${n} workflows to park`);
    const parkSeconds = Number(process.hrtime.bigint() - began) / 1e9;
    const after = await probe.sample();
    return { workflows: n, acceptSeconds, parkSeconds, rssDeltaBytes: after.rssBytes - before.rssBytes, cachedWorkflows: after.cachedWorkflows, slowTaskWarnings: after.slowTaskWarnings };
  } finally {
    await probe.stop();
  }
}

export const mib = (bytes: number): string => (bytes / MiB).toFixed(bytes < 10 * MiB ? 2 : 0);
