// What one workflow costs cvmflow's production worker, each figure beside a reference measured on the same dev
// server in the same run (issue 16, goals 1 and 2):
// - parked teardowns: N `teardownCvm` waiting one day ahead on the production worker with its defaults; worker RSS
//   delta and the time until every one has run its first task, against the server's time to accept the N starts;
// - per first workflow task: RSS and CPU of the production worker (teardownCvm) against a minimal TypeScript
//   worker running a tiny bundle (a workflow that sleeps), the same number of workflows each;
// - at scale (the `scale` section): the parked teardowns again, the worker's memory sampled while they park.
// Each worker runs in its own process (src/bench/worker-probe-main.ts) so its memory and CPU are its own.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
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
  /** The worker before the first start call. */
  before: ProbeSample;
  /** Every `sampleEveryMs` from the first start call until `settleMs` after the last workflow parked (when asked). */
  samples: ParkSample[];
}

export interface ParkSample {
  /** Seconds since the first start call. */
  seconds: number;
  /** Start calls the server had accepted. */
  started: number;
  /** Workflows that had run their first task (visibility count, so it may lag a little). */
  parked: number;
  rssBytes: number;
  heapUsedBytes: number;
  cachedWorkflows: number;
  /** The dev server's RSS, when its pid was given. */
  serverRssBytes?: number;
}

export interface ParkOptions {
  /** CVMFLOW_* settings for the worker (the production defaults otherwise). */
  env?: Record<string, string>;
  /** Sample the worker (and the server) this often while parking; no samples without it. */
  sampleEveryMs?: number;
  /** Keep sampling this long after the last workflow parked. */
  settleMs?: number;
  /** How often to count the parked workflows (each count is a visibility query the server answers). */
  pollMs?: number;
  serverPid?: number;
  onSample?: (s: ParkSample) => void;
}

/** A process's resident set from /proc (Linux), undefined elsewhere or when it has gone. */
export function processRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kib ? Number(kib[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `take` every `everyMs` until stopped; `stop` resolves to what it took, in order. */
function sampleEvery(everyMs: number, take: () => Promise<ParkSample>, onSample: (s: ParkSample) => void) {
  const samples: ParkSample[] = [];
  let wake: () => void = () => undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const s = await take();
      samples.push(s);
      onSample(s);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, everyMs);
      });
    }
  })();
  return {
    /** `final` takes one more sample as it stops (the run's last figure). */
    async stop(final = false): Promise<ParkSample[]> {
      stopped = true;
      wake();
      await loop;
      if (final) {
        const s = await take();
        samples.push(s);
        onSample(s);
      }
      return samples;
    },
  };
}

/**
 * N workflows parked one day ahead: `teardownCvm` on the production worker with its default settings (`options.env`
 * may add CVMFLOW_* ones), or `tinyPark` (the same search attribute and timer) on the minimal worker.
 */
export async function benchParked(client: Client, address: string, kind: 'production' | 'minimal', n: number, bundle: string, options: ParkOptions = {}): Promise<ParkedWorkflows> {
  const taskQueue = `bench-park-${kind}-${randomUUID().slice(0, 8)}`;
  const probe = await Probe.start(kind, address, taskQueue, { ...options.env, ...(kind === 'minimal' ? { PROBE_BUNDLE: bundle } : {}) });
  let sampler: ReturnType<typeof sampleEvery> | undefined;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = await probe.sample();
    const query = `TaskQueue = '${taskQueue}' AND CvmStep = 'scheduled'`;
    const began = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - began) / 1e9;
    let started = 0;
    sampler = options.sampleEveryMs
      ? sampleEvery(
          options.sampleEveryMs,
          async () => {
            const [parked, w] = await Promise.all([client.workflow.count(query), probe.sample()]);
            const serverRssBytes = options.serverPid === undefined ? undefined : processRssBytes(options.serverPid);
            return { seconds: since(), started, parked: parked.count, rssBytes: w.rssBytes, heapUsedBytes: w.heapUsedBytes, cachedWorkflows: w.cachedWorkflows, serverRssBytes };
          },
          options.onSample ?? (() => undefined),
        )
      : undefined;
    const acceptSeconds = await startAll(n, 50, async (i) => {
      await (kind === 'production'
        ? client.workflow.start('teardownCvm', { taskQueue, workflowId: `${taskQueue}-${i}`, args: teardownArgs(i, taskQueue) })
        : client.workflow.start('tinyPark', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [DAY_MS] }));
      started++;
    });
    // An hour, or 100 ms a workflow for the larger runs (the scale section).
    await until(async () => (await client.workflow.count(query)).count >= n, Math.max(3_600_000, n * 100), `${n} workflows to park`, options.pollMs);
    const parkSeconds = since();
    if (sampler && options.settleMs) await new Promise((r) => setTimeout(r, options.settleMs));
    const samples = (await sampler?.stop(true)) ?? [];
    const after = await probe.sample();
    return { workflows: n, acceptSeconds, parkSeconds, rssDeltaBytes: after.rssBytes - before.rssBytes, cachedWorkflows: after.cachedWorkflows, slowTaskWarnings: after.slowTaskWarnings, before, samples };
  } finally {
    await sampler?.stop();
    await probe.stop();
  }
}

export const mib = (bytes: number): string => (bytes / MiB).toFixed(bytes < 10 * MiB ? 2 : 0);
