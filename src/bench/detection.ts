// Detection of Running (issue 16, goal 4): for each provider, the official tool's poll schedule against
// cvmflow's wait through a real worker and dev server, hitting the same sandbox at the same time. The wait is
// the one the provider's lifecycle runs: awaitCvmState for Prism and CUDO, Phala's watch (learned looks, then
// the state stream) for Phala.
// Latency is from the instant the sandbox turns the CVM running (its create time plus the boot time this
// benchmark gave it) to the step being done: the tool's answering GET, or the workflow activation that
// receives awaitCvmState's result. Requests are the GETs of that CVM the sandbox served. Two cases: boot
// times uniform in 2–8 s on one machine kind, and four machine kinds that each boot in a consistent time
// ± 150 ms. cvmflow learns in warm-up rounds (not counted) and is measured in the rounds after them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { intervalGaps } from '../activities/poll-plan';
import { classifyCudoVm } from '../contract/rules/cudo';
import { prismLifecycle } from '../contract/rules/prism';
import { CudoClient } from '../providers/cudo/client';
import { PhalaClient } from '../providers/phala/client';
import { summarizeCvm } from '../providers/phala/states';
import { PrismClient } from '../providers/prism/client';
import { createCudoSandbox } from '../sandbox/cudo';
import { SandboxClock } from '../sandbox/http/clock';
import type { SandboxServer } from '../sandbox/http/server';
import { createPhalaSandbox } from '../sandbox/phala';
import { createPrismSandbox } from '../sandbox/prism';
import { startBenchDevServer } from './dev-server';
import type { BenchAwaitInput } from './detection-workflow';

type BenchProvider = 'phala' | 'prism' | 'cudo';
export type DetectionCase = 'uniform 2-8 s' | 'per machine kind';

export interface DetectionFigures {
  p50Ms: number;
  p90Ms: number;
  requestsPerCvm: number;
  cvms: number;
}

export interface DetectionRow {
  provider: BenchProvider;
  case: DetectionCase;
  tool: DetectionFigures & { name: string };
  /** `activityP50Ms`: to the wait activity's completion (ActivityTaskCompleted), before Temporal hands it to the workflow. */
  cvmflow: DetectionFigures & { activityP50Ms: number };
  /** cvmflow / tool; goal 4: p50 ≤ 0.5 at requests ≤ 1. */
  p50Ratio: number;
  requestRatio: number;
  meetsGoal: boolean;
}

export interface DetectionOptions {
  /** CVMs per side and round. */
  perRound?: number;
  warmupRounds?: number;
  measuredRounds?: number;
  /** awaitCvmState's requestBudget; absent: its default (what its interval schedule would cost). */
  requestBudget?: number;
  providers?: BenchProvider[];
}

/** One provider in the benchmark: its sandbox with per-CVM boot times, how to create, look, count and delete. */
interface Harness {
  server: SandboxServer;
  tool: { name: string; gaps: number[] };
  /** The bench workflow that runs the lifecycle's wait, and its input. */
  workflow: 'benchAwaitRunning' | 'benchWatchRunning';
  wait: Omit<BenchAwaitInput, 'provider' | 'cvmId'>;
  /** The requests of one CVM's wait, from the sandbox's log (`id` as the paths carry it). */
  requests(id: string): number;
  kinds: number;
  listen(): Promise<void>;
  /** Creates a CVM of kind `kind` (its boot time is in the map the sandbox reads); resolves to the id a GET uses. */
  create(name: string, kind: number): Promise<string>;
  running(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  activities(): ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

/** When the sandbox turns each CVM (by name) running: noted by the boot-time hook at create. */
type ReadyAt = Map<string, number>;

/** The GETs of one CVM the sandbox served. */
const gets = (server: SandboxServer, id: string) => server.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`)).length;

function cudoHarness(boots: Map<string, number>, readyAt: ReadyAt): Harness {
  const sandbox = createCudoSandbox({
    clock: new SandboxClock(1),
    // terminated VMs give their public IPv4 back within 1.5 s (the data center has 64), not after the default 66 s
    timings: { deletingMs: 500, deletedVisibleMs: 1_000 },
    createTimingsFor: (vm) => {
      const ms = boots.get(vm.id)!;
      readyAt.set(vm.id, Date.now() + ms);
      // every intermediate state shows, in proportion
      return { pendingMs: ms * 0.1, cloningMs: ms * 0.2, prologMs: ms * 0.1, bootMs: ms * 0.6 };
    },
  });
  let client: CudoClient | undefined;
  const kinds = [
    { machineType: 'epyc-milan', vcpus: 2 },
    { machineType: 'epyc-milan', vcpus: 4 },
    { machineType: 'intel-broadwell', vcpus: 2 },
    { machineType: 'intel-broadwell', vcpus: 4 },
  ];
  return {
    server: sandbox.server,
    // terraform-provider-cudo waits with Terraform's StateChangeConf: a refresh at once, then 3 s, 6 s, then every 10 s
    tool: { name: 'CUDO Terraform (StateChangeConf 3 s → 10 s)', gaps: [3_000, 6_000, ...intervalGaps(10_000, undefined, 100)] },
    workflow: 'benchAwaitRunning',
    wait: { pollIntervalMs: 3_000, maxPollIntervalMs: 10_000 },
    requests: (id) => gets(sandbox.server, id),
    kinds: kinds.length,
    async create(name, kind) {
      const k = kinds[kind % kinds.length]!;
      await client!.createVm({ vmId: name, dataCenterId: 'gb-bournemouth-1', machineType: k.machineType, bootDiskImageId: 'ubuntu-2204', vcpus: k.vcpus, memoryGib: k.vcpus * 2, gpus: 0 });
      return name;
    },
    running: async (id) => classifyCudoVm((await client!.getVm({ id })).VM).class === 'running',
    remove: async (id) => void (await client!.terminateVm({ id })),
    activities: () => createActivities({ workerInfo: { taskQueue: 'bench-detection', providers: { phala: 'disabled', prism: 'disabled', cudo: 'sandbox' } }, cudo: client! }),
    async close() {
      await client?.close();
      await sandbox.server.close();
    },
    async listen() {
      const url = await sandbox.server.listen(0, '127.0.0.1');
      client = new CudoClient({ baseUrl: url, apiKey: sandbox.apiKey, projectId: sandbox.projectId });
    },
  };
}

function prismHarness(boots: Map<string, number>, readyAt: ReadyAt): Harness {
  const sandbox = createPrismSandbox({
    clock: new SandboxClock(1),
    timingsFor: (cvm) => {
      const ms = boots.get(cvm.name)!;
      readyAt.set(cvm.name, Date.now() + ms);
      return { creatingMs: ms * 0.3, startingMs: ms * 0.7 };
    },
  });
  let client: PrismClient | undefined;
  const vcpus = [2, 4, 8, 16];
  return {
    server: sandbox.server,
    tool: { name: 'Prism, 2 s poll', gaps: intervalGaps(2_000, undefined, 200) },
    workflow: 'benchAwaitRunning',
    wait: { pollIntervalMs: 2_000 },
    requests: (id) => gets(sandbox.server, id),
    kinds: vcpus.length,
    async create(name, kind) {
      await client!.createCvm({ name, provider: 'ultraviolet', vcpu: vcpus[kind % vcpus.length]!, ccPlatform: 'sev-snp' });
      return sandbox.cvms().find((c) => c.name === name)!.id; // Prism answers 201 without the id; a caller lists by name

    },
    running: async (id) => prismLifecycle(await client!.getCvm({ id })).class === 'running',
    remove: async (id) => void (await client!.deleteCvm({ id })),
    activities: () => createActivities({ workerInfo: { taskQueue: 'bench-detection', providers: { phala: 'disabled', prism: 'sandbox', cudo: 'disabled' } }, prism: client! }),
    async close() {
      await client?.close();
      await sandbox.server.close();
    },
    async listen() {
      const url = await sandbox.server.listen(0, '127.0.0.1');
      client = new PrismClient({ baseUrl: url, token: sandbox.token, domainId: sandbox.domainId });
      // The sandbox builds its AMD-shaped certificate chain (RSA keys, seconds of CPU) when the first CVM comes
      // Online; a CVM that boots at once takes that cost here, not the first round's boots (which would teach
      // the waits that Prism boots seconds later than it does).
      boots.set('prime', 0);
      await client.createCvm({ name: 'prime', provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp' });
      const id = sandbox.cvms().find((c) => c.name === 'prime')!.id;
      while (prismLifecycle(await client.getCvm({ id })).class !== 'running') await sleep(50);
      await client.deleteCvm({ id });
    },
  };
}

function phalaHarness(boots: Map<string, number>, readyAt: ReadyAt): Harness {
  const sandbox = createPhalaSandbox({
    clock: new SandboxClock(1),
    durationsFor: (cvm) => {
      const ms = boots.get(cvm.name)!;
      readyAt.set(cvm.name, Date.now() + ms);
      return { bootMs: ms };
    },
  });
  let client: PhalaClient | undefined;
  const vcpus = [1, 2, 3, 4];
  return {
    server: sandbox.server,
    tool: { name: 'Phala CLI, 2 s poll', gaps: intervalGaps(2_000, undefined, 200) },
    workflow: 'benchWatchRunning',
    wait: { pollIntervalMs: 5_000 },
    // the watch's GETs and its state streams (one request each)
    requests: (id) => gets(sandbox.server, id) + sandbox.server.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}/state`)).length,
    kinds: vcpus.length,
    async create(name, kind) {
      const vcpu = vcpus[kind % vcpus.length]!;
      const p = await client!.provisionCvm({ name, compose_file: { docker_compose_file: `services:\n  ${name}:\n    image: caddy:2\n` }, vcpu, memory: 1024 * vcpu, teepod_id: 3 });
      const cvm = await client!.commitCvm({ app_id: p.app_id!, compose_hash: p.compose_hash });
      return summarizeCvm(cvm).ref;
    },
    running: async (id) => {
      const s = summarizeCvm(await client!.getCvm({ id }));
      return s.phase === 'running' && !s.inProgress;
    },
    remove: async (id) => void (await client!.deleteCvm({ id })),
    activities: () => createActivities({ workerInfo: { taskQueue: 'bench-detection', providers: { phala: 'sandbox', prism: 'disabled', cudo: 'disabled' } }, phala: client! }),
    async close() {
      await client?.close();
      await sandbox.server.close();
    },
    async listen() {
      const url = await sandbox.server.listen(0, '127.0.0.1');
      client = new PhalaClient({ baseUrl: url, apiKey: sandbox.apiKey });
    },
  };
}

const HARNESSES: Record<BenchProvider, (boots: Map<string, number>, readyAt: ReadyAt) => Harness> = { cudo: cudoHarness, prism: prismHarness, phala: phalaHarness };

/** Boot time of the i-th CVM of a round: uniform in 2–8 s, or its kind's time ± 150 ms. */
function bootTime(c: DetectionCase, kind: number): number {
  if (c === 'uniform 2-8 s') return 2_000 + Math.random() * 6_000;
  return [2_500, 4_000, 5_500, 7_000][kind]! + (Math.random() - 0.5) * 300;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The official tool: a look at once, then one after each gap of its schedule; the instant it saw Running. */
async function toolWait(h: Harness, id: string): Promise<number> {
  const gaps = h.tool.gaps[Symbol.iterator]();
  for (;;) {
    if (await h.running(id)) return Date.now();
    await sleep(gaps.next().value ?? 10_000);
  }
}

function figures(latencies: number[], requests: number[]): DetectionFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50Ms: Math.round(at(0.5)), p90Ms: Math.round(at(0.9)), requestsPerCvm: requests.reduce((a, b) => a + b, 0) / Math.max(1, requests.length), cvms: latencies.length };
}

async function benchCase(address: string, workflowBundle: { code: string }, provider: BenchProvider, c: DetectionCase, o: Required<Omit<DetectionOptions, 'requestBudget' | 'providers'>> & Pick<DetectionOptions, 'requestBudget'>): Promise<DetectionRow> {
  const boots = new Map<string, number>();
  const readyAt: ReadyAt = new Map();
  const h = HARNESSES[provider](boots, readyAt);
  await h.listen();
  const tag = `${provider === 'phala' ? 'p' : provider === 'prism' ? 'r' : 'c'}${c === 'uniform 2-8 s' ? 'u' : 'k'}${Date.now().toString(36).slice(-5)}`;
  const taskQueue = `bench-detection-${tag}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  // a fresh worker per case: the record of past waits starts empty
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, activities: h.activities(), workflowBundle });
  const measured = { tool: { latency: [] as number[], requests: [] as number[] }, cvmflow: { latency: [] as number[], requests: [] as number[] } };
  const activityLatency: number[] = [];
  const kinds = c === 'uniform 2-8 s' ? 1 : h.kinds;
  try {
    await worker.runUntil(async () => {
      for (let round = 0; round < o.warmupRounds + o.measuredRounds; round++) {
        const counted = round >= o.warmupRounds;
        await Promise.all(
          Array.from({ length: o.perRound * 2 }, async (_, j) => {
            const side = j % 2 === 0 ? 'cvmflow' : 'tool';
            const i = Math.floor(j / 2);
            await sleep(j * 120); // spread the creates a little
            const kind = i % kinds;
            const name = `d${tag}-${round}-${j}`;
            boots.set(name, bootTime(c, kind));
            const id = await h.create(name, kind);
            let doneAt: number;
            if (side === 'tool') doneAt = await toolWait(h, id);
            else {
              const args: BenchAwaitInput = { provider, cvmId: id, ...h.wait, ...(o.requestBudget ? { requestBudget: o.requestBudget } : {}) };
              const handle = await client.workflow.start(h.workflow, { taskQueue, workflowId: `bench-detection/${name}`, args: [args] });
              doneAt = await handle.result();
              const completed = (await handle.fetchHistory()).events?.find((e) => e.activityTaskCompletedEventAttributes)?.eventTime;
              if (counted && completed) activityLatency.push(Number(completed.seconds) * 1000 + Math.round((completed.nanos ?? 0) / 1e6) - readyAt.get(name)!);
            }
            if (counted) {
              measured[side].latency.push(doneAt - readyAt.get(name)!);
              measured[side].requests.push(h.requests(id));
            }
            await h.remove(id).catch(() => undefined);
          }),
        );
      }
    });
  } finally {
    await Promise.all([connection.close(), nativeConnection.close()]);
    await h.close();
  }
  const tool = figures(measured.tool.latency, measured.tool.requests);
  const cvmflow = { ...figures(measured.cvmflow.latency, measured.cvmflow.requests), activityP50Ms: figures(activityLatency, []).p50Ms };
  const p50Ratio = cvmflow.p50Ms / Math.max(1, tool.p50Ms);
  const requestRatio = cvmflow.requestsPerCvm / tool.requestsPerCvm;
  return { provider, case: c, tool: { name: h.tool.name, ...tool }, cvmflow, p50Ratio, requestRatio, meetsGoal: p50Ratio <= 0.5 && requestRatio <= 1 };
}

/** Starts its own dev server; every provider and case in one run. */
export async function benchDetection(opts: DetectionOptions = {}): Promise<DetectionRow[]> {
  // 32 CVMs per side and row: with 16, one row's p50 ratio moved by a factor of two or more from run to run
  const o = { perRound: opts.perRound ?? 8, warmupRounds: opts.warmupRounds ?? 2, measuredRounds: opts.measuredRounds ?? 4, requestBudget: opts.requestBudget };
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-detection-'));
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./detection-workflow'), logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } });
  const server = await startBenchDevServer(dir);
  const rows: DetectionRow[] = [];
  try {
    for (const provider of opts.providers ?? (['phala', 'prism', 'cudo'] as const)) {
      for (const c of ['uniform 2-8 s', 'per machine kind'] as const) rows.push(await benchCase(server.address, { code }, provider, c, o));
    }
  } finally {
    await server.stop();
  }
  return rows;
}

/** The table `npm run bench` prints. */
export function formatDetectionRows(rows: DetectionRow[]): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const out = [`${'provider / case'.padEnd(26)} ${'tool p50'.padStart(9)} ${'req/CVM'.padStart(7)}   ${'cvmflow p50'.padStart(11)} ${'req/CVM'.padStart(7)}   p50 ratio  req ratio  goal 4`];
  for (const r of rows) {
    out.push(
      `${`${r.provider} / ${r.case}`.padEnd(26)} ${s(r.tool.p50Ms).padStart(9)} ${r.tool.requestsPerCvm.toFixed(2).padStart(7)}   ${s(r.cvmflow.p50Ms).padStart(11)} ${r.cvmflow.requestsPerCvm.toFixed(2).padStart(7)}   ${r.p50Ratio.toFixed(2).padStart(9)}  ${r.requestRatio.toFixed(2).padStart(9)}  ${r.meetsGoal ? 'met' : 'not met'}`,
    );
  }
  out.push(`cvmflow p50 to the wait activity's completion (the rest is Temporal handing the result to the workflow): ${rows.map((r) => `${r.provider}/${r.case} ${s(r.cvmflow.activityP50Ms)}`).join(', ')}`);
  out.push('waits: phala = phalaWatchCvmState as provisionPhalaCvm runs it (learned looks, then the state stream; its requests count the streams); prism, cudo = awaitCvmState');
  out.push(`tools: ${[...new Set(rows.map((r) => `${r.provider}: ${r.tool.name}`))].join('; ')}; ${rows[0]?.cvmflow.cvms ?? 0} CVMs per side and row, after warm-up`);
  return out;
}
