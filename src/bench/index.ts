// `npm run bench [section ...] [--json]`: every benchmark as one table, each figure beside a reference measured in
// this same run (the ratio column). Sections: attestation, worker, overhead, codec, history, detection, scale, cluster
// (default: all but scale, which takes the better part of an hour, and cluster, which needs PostgreSQL). Sizes:
// CVMFLOW_BENCH_TEARDOWNS (pending teardowns, default 2000; 10000 is the issue 16 target),
// CVMFLOW_BENCH_SCALE_TEARDOWNS (pending teardowns in the scale section, default 100000), CVMFLOW_BENCH_WORKER_TASKS (workflows per worker in the per-task row, default
// 500), CVMFLOW_BENCH_LIFECYCLES (lifecycles and trivial workflows in the rate row, default 60, at most 64),
// CVMFLOW_BENCH_DETECTION_COUNT (CVMs per side and round in the detection rows, default 8).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startBenchDevServer } from './dev-server';
import { benchAttestation } from './attestation';
import { benchTrivialWorkflows } from './cluster';
import { benchCodecOverhead } from './codec';
import { benchDetection } from './detection';
import { benchFloorThroughput, benchLifecycleHistory, benchLifecycleThroughput } from './history';
import { benchLifecycleOverhead, type TimeSplit } from './overhead';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../worker/config';
import { benchParked, benchWorkerCost, processRssBytes, tinyBundlePath, type ParkSample } from './worker-cost';

export interface BenchRow {
  what: string;
  measured: string;
  reference: string;
  /** measured / reference (the direction the goal states). */
  ratio?: number;
  goal?: string;
  /** The raw figures, for --json. */
  values: Record<string, number | string>;
  /** Samples over time (the scale section), for --json only. */
  series?: ParkSample[];
}

const MiB = 1024 * 1024;
const f = (n: number, digits = 1) => n.toFixed(digits);
const envInt = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1 (got ${process.env[name]})`);
  return n;
};

async function attestationRows(): Promise<BenchRow[]> {
  const rows = await benchAttestation();
  const out: BenchRow[] = [];
  const find = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
  const limit = find('snp-report-signature-only');
  const snp = find('snp-verify');
  const tdx = find('tdx');
  for (const r of rows) {
    const ref = r === snp ? limit : r.name.startsWith('dstack') ? tdx : undefined;
    out.push({
      what: `attestation: ${r.name}`,
      measured: `${r.opsPerSec} /s`,
      reference: ref ? `${ref.name}: ${ref.opsPerSec} /s` : '',
      ratio: ref ? r.opsPerSec / ref.opsPerSec : undefined,
      goal: r === snp ? '>= 0.9' : undefined,
      values: { opsPerSec: r.opsPerSec, iterations: r.iterations, ...(ref ? { referenceOpsPerSec: ref.opsPerSec } : {}) },
    });
  }
  return out;
}

async function workerRows(client: Client, address: string, tinyBundle: string, serverPid: number | undefined): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const teardowns = envInt('CVMFLOW_BENCH_TEARDOWNS', 2000);
  const p = await benchParked(client, address, 'production', teardowns, tinyBundle);
  const floor = await benchParked(client, address, 'minimal', teardowns, tinyBundle);
  out.push({
    what: `${teardowns} pending teardownCvm (1 day ahead): time to park`,
    measured: `${f(p.parkSeconds)} s until all ran their first task`,
    reference: `server accepted the ${teardowns} starts in ${f(p.acceptSeconds)} s`,
    ratio: p.parkSeconds / p.acceptSeconds,
    goal: '<= 1.2',
    values: { teardowns, parkSeconds: p.parkSeconds, acceptSeconds: p.acceptSeconds, slowTaskWarnings: p.slowTaskWarnings },
  });
  out.push({
    what: `  the same for ${teardowns} tiny workflows on a minimal worker (same search attribute and timer)`,
    measured: `${f(floor.parkSeconds)} s until all ran their first task`,
    reference: `server accepted the ${teardowns} starts in ${f(floor.acceptSeconds)} s`,
    ratio: floor.parkSeconds / floor.acceptSeconds,
    goal: '(the floor)',
    values: { workflows: teardowns, parkSeconds: floor.parkSeconds, acceptSeconds: floor.acceptSeconds },
  });
  out.push({
    what: `${teardowns} pending teardownCvm: worker memory`,
    measured: `RSS +${f(p.rssDeltaBytes / MiB, 0)} MiB (${p.cachedWorkflows} cached, ${p.slowTaskWarnings} slow-task warnings)`,
    reference: `minimal worker, ${teardowns} tiny workflows: +${f(floor.rssDeltaBytes / MiB, 0)} MiB (${floor.cachedWorkflows} cached)`,
    ratio: p.rssDeltaBytes / floor.rssDeltaBytes,
    goal: '<= +200 MiB at 10,000',
    values: { rssDeltaBytes: p.rssDeltaBytes, cachedWorkflows: p.cachedWorkflows, minimalRssDeltaBytes: floor.rssDeltaBytes, minimalCachedWorkflows: floor.cachedWorkflows },
  });
  const n = envInt('CVMFLOW_BENCH_WORKER_TASKS', 500);
  const c = await benchWorkerCost(client, address, n, tinyBundle);
  out.push({
    what: 'memory per first workflow task (teardownCvm vs tiny workflow)',
    measured: `production worker ${f(c.production.rssBytesPerWorkflow / 1024, 0)} KiB`,
    reference: `minimal TS worker ${f(c.minimal.rssBytesPerWorkflow / 1024, 0)} KiB (${n} workflows each)`,
    ratio: c.production.rssBytesPerWorkflow / c.minimal.rssBytesPerWorkflow,
    goal: '<= 1.5',
    values: { workflows: n, productionBytes: c.production.rssBytesPerWorkflow, minimalBytes: c.minimal.rssBytesPerWorkflow },
  });
  out.push({
    what: 'CPU per first workflow task (teardownCvm vs tiny workflow)',
    measured: `production worker ${f(c.production.cpuMsPerWorkflow, 2)} ms`,
    reference: `minimal TS worker ${f(c.minimal.cpuMsPerWorkflow, 2)} ms`,
    ratio: c.production.cpuMsPerWorkflow / c.minimal.cpuMsPerWorkflow,
    goal: '<= 1.5',
    values: { workflows: n, productionMs: c.production.cpuMsPerWorkflow, minimalMs: c.minimal.cpuMsPerWorkflow },
  });
  const count = envInt('CVMFLOW_BENCH_LIFECYCLES', 60);
  // A batch of 60 lasts a few seconds, and the server's pace moves from batch to batch: the four rates are measured
  // in turn, five rounds, and each row compares medians.
  // The sandbox at 10,000x (a VM is ACTIVE in milliseconds): the row compares what the worker and the server do
  // per lifecycle with a trivial workflow, not how long a CVM takes to boot (at 50x a boot alone took 0.5 s).
  // The floors: the same calls of the same kinds as a CUDO lifecycle (a local look, the create, the wait) on a
  // minimal worker, and the same with the search-attribute writes a lean CUDO lifecycle makes (its step and ids
  // once per task, and the patch's version: 4), each a visibility update on the server.
  const rates = { trivial: [] as number[], lifecycles: [] as number[], floor: [] as number[], floorWrites: [] as number[] };
  const cpu = { lifecycle: [] as number[], provider: [] as number[], floor: [] as number[] };
  // The whole machine's CPU per workflow (this process, the dev server, the sandbox) and the cores that kept busy.
  const machine = { trivial: [] as number[], lifecycle: [] as number[], floor: [] as number[], trivialCores: [] as number[], lifecycleCores: [] as number[], floorCores: [] as number[] };
  for (let round = 0; round < 5; round++) {
    const t = await benchTrivialWorkflows(address, count, { serverPid });
    rates.trivial.push(t.workflowsPerSecond);
    machine.trivial.push(t.cpuMsPerWorkflow + (t.serverCpuMsPerWorkflow ?? 0));
    machine.trivialCores.push((machine.trivial.at(-1)! * t.workflowsPerSecond) / 1000);
    const l = await benchLifecycleThroughput(address, count, 10_000, { warmup: 4, serverPid });
    rates.lifecycles.push(l.lifecyclesPerSecond);
    cpu.lifecycle.push(l.cpuMsPerWorkflow);
    cpu.provider.push(l.providerCpuMsPerWorkflow ?? 0);
    machine.lifecycle.push(l.cpuMsPerWorkflow + (l.providerCpuMsPerWorkflow ?? 0) + (l.serverCpuMsPerWorkflow ?? 0));
    machine.lifecycleCores.push((machine.lifecycle.at(-1)! * l.lifecyclesPerSecond) / 1000);
    const fl = await benchFloorThroughput(address, count, tinyBundle, 'LAA', 10, serverPid);
    rates.floor.push(fl.workflowsPerSecond);
    cpu.floor.push(fl.cpuMsPerWorkflow);
    machine.floor.push(fl.cpuMsPerWorkflow + (fl.serverCpuMsPerWorkflow ?? 0));
    machine.floorCores.push((machine.floor.at(-1)! * fl.workflowsPerSecond) / 1000);
    rates.floorWrites.push((await benchFloorThroughput(address, count, tinyBundle, 'SLASAS')).workflowsPerSecond);
  }
  const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const trivial = { workflowsPerSecond: mid(rates.trivial) };
  const lifecycles = { lifecyclesPerSecond: mid(rates.lifecycles) };
  const floorRate = { workflowsPerSecond: mid(rates.floor) };
  const floorWrites = { workflowsPerSecond: mid(rates.floorWrites) };
  out.push({
    what: `CUDO lifecycles/s vs trivial workflows/s (${count} at once, instant provider, median of 5 rounds)`,
    measured: `${f(lifecycles.lifecyclesPerSecond, 2)} lifecycles/s (rounds: ${rates.lifecycles.map((r) => f(r, 1)).join(', ')})`,
    reference: `${f(trivial.workflowsPerSecond, 2)} pingCvmflow/s (rounds: ${rates.trivial.map((r) => f(r, 1)).join(', ')})`,
    ratio: lifecycles.lifecyclesPerSecond / trivial.workflowsPerSecond,
    goal: '>= 0.7',
    values: { count, lifecyclesPerSecond: lifecycles.lifecyclesPerSecond, trivialPerSecond: trivial.workflowsPerSecond, lifecycleRounds: rates.lifecycles.map((r) => f(r, 2)).join(" "), trivialRounds: rates.trivial.map((r) => f(r, 2)).join(" ") },
  });
  out.push({
    what: `  the same lifecycles vs a minimal workflow making the same calls (1 local, 2 activities) on a minimal worker`,
    measured: `${f(lifecycles.lifecyclesPerSecond, 2)} lifecycles/s; worker CPU ${f(mid(cpu.lifecycle), 1)} ms per lifecycle, the sandbox provider's ${f(mid(cpu.provider), 1)} ms`,
    reference: `${f(floorRate.workflowsPerSecond, 2)} minimal workflows/s, worker CPU ${f(mid(cpu.floor), 1)} ms each (that floor is ${f(floorRate.workflowsPerSecond / trivial.workflowsPerSecond, 2)}x the trivial rate)`,
    ratio: lifecycles.lifecyclesPerSecond / floorRate.workflowsPerSecond,
    goal: '(the floor)',
    values: { count, lifecyclesPerSecond: lifecycles.lifecyclesPerSecond, floorPerSecond: floorRate.workflowsPerSecond },
  });
  out.push({
    what: `  the same, the minimal workflow also writing search attributes as the lifecycle does (4 writes)`,
    measured: `${f(lifecycles.lifecyclesPerSecond, 2)} lifecycles/s`,
    reference: `${f(floorWrites.workflowsPerSecond, 2)} minimal workflows/s (${f(floorWrites.workflowsPerSecond / trivial.workflowsPerSecond, 2)}x the trivial rate)`,
    ratio: lifecycles.lifecyclesPerSecond / floorWrites.workflowsPerSecond,
    goal: '(the floor)',
    values: { count, lifecyclesPerSecond: lifecycles.lifecyclesPerSecond, floorPerSecond: floorWrites.workflowsPerSecond },
  });
  if (serverPid !== undefined) {
    out.push({
      what: `  the same lifecycles vs trivial workflows: CPU per workflow on the whole machine (this process, the dev server, the sandbox) and the cores kept busy (of ${availableParallelism()})`,
      measured: `${f(mid(machine.lifecycle), 1)} ms per lifecycle, ${f(mid(machine.lifecycleCores), 2)} cores busy`,
      reference: `${f(mid(machine.trivial), 1)} ms per pingCvmflow, ${f(mid(machine.trivialCores), 2)} cores busy (the minimal workflow with the lifecycle's calls: ${f(mid(machine.floor), 1)} ms, ${f(mid(machine.floorCores), 2)} cores)`,
      ratio: mid(machine.trivial) / mid(machine.lifecycle),
      goal: '(CPU alone: the rate ratio a busy machine allows)',
      values: { lifecycleCpuMs: mid(machine.lifecycle), trivialCpuMs: mid(machine.trivial), floorCpuMs: mid(machine.floor), lifecycleCores: mid(machine.lifecycleCores), trivialCores: mid(machine.trivialCores), floorCores: mid(machine.floorCores) },
    });
  }
  return out;
}

/** What a lifecycle's events were: "3 workflow tasks (9), 2 activities (6), 5 local activities, ...". */
function eventBreakdown(types: Record<string, number>): string {
  const n = (k: string) => types[k] ?? 0;
  const parts = [
    `${n('workflowTaskCompleted')} workflow tasks (${n('workflowTaskScheduled') + n('workflowTaskStarted') + n('workflowTaskCompleted')})`,
    `${n('activityTaskScheduled')} activities (${n('activityTaskScheduled') + n('activityTaskStarted') + n('activityTaskCompleted')})`,
    `${n('marker:core_local_activity')} local activities`,
    `${n('upsertWorkflowSearchAttributes')} search-attribute writes`,
    `${n('marker:core_patch')} patch markers`,
  ];
  const child = n('startChildWorkflowExecutionInitiated') + n('childWorkflowExecutionStarted');
  if (child) parts.push(`${child} for the teardown child`);
  return parts.join(', ');
}

/**
 * Issue 16's 100,000 pending teardowns: N `teardownCvm` parked one day ahead on the production worker, its RSS,
 * heap and cached workflows sampled every 10 s while they park and for a minute after. Memory should level off
 * near a fixed base plus what the sticky cache holds, whatever N.
 */
async function scaleRows(client: Client, address: string, tinyBundle: string, serverPid: number | undefined, progress: (s: string) => void): Promise<BenchRow[]> {
  const n = envInt('CVMFLOW_BENCH_SCALE_TEARDOWNS', 100_000);
  const cache = process.env.CVMFLOW_MAX_CACHED_WORKFLOWS ?? String(DEFAULT_MAX_CACHED_WORKFLOWS);
  const mib = (bytes: number) => `${f(bytes / MiB, 0)} MiB`;
  const serverRss = processRssBytes(serverPid);
  const p = await benchParked(client, address, 'production', n, tinyBundle, {
    env: { CVMFLOW_MAX_CACHED_WORKFLOWS: cache },
    sampleEveryMs: 10_000,
    settleMs: 60_000,
    pollMs: 2_000,
    serverPid,
    onSample: (s) => progress(`scale sample: ${f(s.seconds, 0)} s, ${s.started} started, ${s.parked} parked, worker RSS ${mib(s.rssBytes)}, heap ${mib(s.heapUsedBytes)}, ${s.cachedWorkflows} cached${s.serverRssBytes === undefined ? '' : `, server RSS ${mib(s.serverRssBytes)}`}`),
  });
  const base = p.before.rssBytes;
  const at = (s: ParkSample) => `RSS ${mib(s.rssBytes)} (+${mib(s.rssBytes - base)}), heap ${mib(s.heapUsedBytes)}, ${s.cachedWorkflows} cached`;
  const sampleValues = (s: ParkSample) => ({ seconds: s.seconds, started: s.started, parked: s.parked, rssBytes: s.rssBytes, rssDeltaBytes: s.rssBytes - base, heapUsedBytes: s.heapUsedBytes, cachedWorkflows: s.cachedWorkflows, ...(s.serverRssBytes === undefined ? {} : { serverRssBytes: s.serverRssBytes }) });
  const out: BenchRow[] = [
    {
      what: `${n} pending teardownCvm (1 day ahead, cache ${cache}): time to park`,
      measured: `${f(p.parkSeconds)} s until all ran their first task`,
      reference: `server accepted the ${n} starts in ${f(p.acceptSeconds)} s`,
      ratio: p.parkSeconds / p.acceptSeconds,
      goal: '<= 1.2',
      values: { teardowns: n, maxCachedWorkflows: Number(cache), parkSeconds: p.parkSeconds, acceptSeconds: p.acceptSeconds, slowTaskWarnings: p.slowTaskWarnings },
      series: p.samples,
    },
    {
      what: `  worker before the first start`,
      measured: `RSS ${mib(base)}, heap ${mib(p.before.heapUsedBytes)}`,
      reference: serverRss === undefined ? '' : `dev server RSS ${mib(serverRss)}`,
      values: { rssBytes: base, heapUsedBytes: p.before.heapUsedBytes, ...(serverRss === undefined ? {} : { serverRssBytes: serverRss }) },
    },
  ];
  for (const mark of [10_000, 25_000, 50_000, 100_000].filter((m) => m < n).concat(n)) {
    const s = p.samples.find((x) => x.parked >= mark);
    if (!s) continue;
    out.push({ what: `  worker at ${mark} parked (sample at ${s.parked}, ${f(s.seconds, 0)} s)`, measured: at(s), reference: '', values: { mark, ...sampleValues(s) } });
  }
  const peak = p.samples.reduce<ParkSample | undefined>((m, s) => (!m || s.rssBytes > m.rssBytes ? s : m), undefined);
  const last = p.samples.at(-1);
  if (peak) out.push({ what: `  worker peak (at ${peak.parked} parked, ${f(peak.seconds, 0)} s)`, measured: at(peak), reference: '', values: sampleValues(peak) });
  if (last) {
    out.push({
      what: `  worker ${f(last.seconds - p.parkSeconds, 0)} s after all parked`,
      measured: at(last),
      reference: last.serverRssBytes === undefined ? '' : `dev server RSS ${mib(last.serverRssBytes)}`,
      goal: `level, not growing with N (cache ${cache})`,
      values: sampleValues(last),
    });
  }
  return out;
}

/** "3 search-attribute writes and 1 patch" from a command string of commandKinds (src/bench/overhead.ts). */
function writesOf(commands: string): string {
  const n = (k: string) => [...commands].filter((c) => c === k).length;
  return `${n('S')} search-attribute writes and ${n('P')} patch${n('P') === 1 ? '' : 'es'}`;
}

/** "51 ms: workflow tasks 32, activities 11, server and matching 8" */
function splitText(t: TimeSplit): string {
  return `${f(t.totalMs, 0)} ms: workflow tasks ${f(t.workflowTasksMs, 0)}, activities ${f(t.activitiesMs, 0)}, server and matching ${f(t.serverMs, 0)}`;
}

const prefixed = (p: string, o: object): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}.${k}`, v as number]));

async function overheadRows(client: Client, address: string, tinyBundle: string): Promise<BenchRow[]> {
  const rows = await benchLifecycleOverhead(client, address, tinyBundle);
  return rows.flatMap((r): BenchRow[] => [
    {
      what: `${r.workflow}, instant provider: start to result`,
      measured: `${f(r.lifecycleMs, 0)} ms`,
      reference: `minimal workflow, ${r.activities} no-op activities${r.localActivities ? ` and ${r.localActivities} local ones` : ''} in the same order: ${f(r.floorMs, 0)} ms`,
      ratio: r.lifecycleMs / r.floorMs,
      goal: '<= 1.2',
      values: { lifecycleMs: r.lifecycleMs, floorMs: r.floorMs, activities: r.activities, localActivities: r.localActivities, ...Object.fromEntries(Object.entries(r.activityMs).map(([k, v]) => [`activityMs.${k}`, v])) },
    },
    {
      what: `  the same, less the time inside its activity functions (provider answers and boots, evidence checks)`,
      measured: `${f(r.lifecycleOwnMs, 0)} ms (${Object.entries(r.activityMs).map(([k, v]) => `${k} ${f(v, 0)} ms`).join(', ')})`,
      reference: `the minimal workflow less its no-ops: ${f(r.floorOwnMs, 0)} ms`,
      ratio: r.lifecycleOwnMs / r.floorOwnMs,
      goal: '',
      values: { lifecycleOwnMs: r.lifecycleOwnMs, floorOwnMs: r.floorOwnMs },
    },
    {
      what: `  the same, against a minimal workflow that also writes the lifecycle's ${writesOf(r.commands)} in the same order`,
      measured: `${f(r.lifecycleMs, 0)} ms (less its activity functions ${f(r.lifecycleOwnMs, 0)} ms)`,
      reference: `${f(r.floorCommandsMs, 0)} ms (less its no-ops ${f(r.floorCommandsOwnMs, 0)} ms)`,
      ratio: r.lifecycleMs / r.floorCommandsMs,
      goal: '',
      values: { floorCommandsMs: r.floorCommandsMs, floorCommandsOwnMs: r.floorCommandsOwnMs, ownRatio: r.lifecycleOwnMs / r.floorCommandsOwnMs },
    },
    {
      what: `  the same: where the time went, by the history's timestamps (mean of the rounds)`,
      measured: splitText(r.split.lifecycle),
      reference: `the minimal workflow: ${splitText(r.split.floor)}`,
      ratio: r.split.lifecycle.totalMs / r.split.floor.totalMs,
      goal: '',
      values: { ...prefixed('lifecycle', r.split.lifecycle), ...prefixed('floor', r.split.floor) },
    },
    {
      what: `${r.workflow}: events per lifecycle`,
      measured: `${r.events}`,
      reference: eventBreakdown(r.eventTypes),
      goal: '<= ~30',
      values: { events: r.events, ...Object.fromEntries(Object.entries(r.eventTypes).map(([k, v]) => [`events.${k}`, v])) },
    },
  ]);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const only = args.filter((a) => a !== '--json');
  const want = (name: string) => (only.length === 0 ? name !== 'cluster' && name !== 'scale' : only.includes(name));
  const rows: BenchRow[] = [];
  const progress = (s: string) => process.stderr.write(`bench: ${s}\n`);
  // Each row is also logged as it is measured, so a run that fails later keeps what it measured.
  const add = (...added: BenchRow[]) => {
    for (const r of added) progress(`${r.what}: ${r.measured} | ${r.reference}${r.ratio === undefined ? '' : ` | ratio ${f(r.ratio, 2)}`}`);
    rows.push(...added);
  };

  if (want('attestation')) {
    progress('attestation');
    add(...(await attestationRows()));
  }

  if (want('worker') || want('overhead') || want('scale')) {
    const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-'));
    const server = await startBenchDevServer(dir);
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      const tinyBundle = await tinyBundlePath();
      if (want('overhead')) {
        progress('lifecycle overhead');
        add(...(await overheadRows(client, server.address, tinyBundle)));
      }
      if (want('worker')) {
        progress('worker cost (pending teardowns, per-task cost, lifecycle rate)');
        add(...(await workerRows(client, server.address, tinyBundle, server.child.pid)));
      }
      if (want('scale')) {
        progress(`scale (${process.env.CVMFLOW_BENCH_SCALE_TEARDOWNS ?? 100_000} pending teardowns, worker memory sampled every 10 s)`);
        add(...(await scaleRows(client, server.address, tinyBundle, server.child.pid, progress)));
      }
    } finally {
      await connection.close();
      await server.stop();
    }
  }

  if (want('codec')) {
    progress('payload codec');
    const c = await benchCodecOverhead(Number(process.env.CVMFLOW_BENCH_CODEC_COUNT ?? '25'));
    add({
      what: 'CUDO lifecycles/s, payloads encrypted vs plain',
      measured: `${f(c.encryptedPerSecond, 2)} /s encrypted`,
      reference: `${f(c.plainPerSecond, 2)} /s plain (${c.lifecycles} lifecycles); codec alone ${Math.round(c.codecRoundTripsPerSecond)} round trips/s`,
      ratio: c.throughputRatio,
      values: { ...c },
    });
  }

  if (want('history')) {
    progress('history size under a 10x slower boot');
    for (const r of await benchLifecycleHistory()) {
      add({
        what: `${r.workflow}: events, CVM boots 10x slower`,
        measured: `${r.eventsSlowBoot} events (${f(r.secondsSlowBoot)} s)`,
        reference: `${r.events} events (${f(r.seconds)} s)`,
        ratio: r.eventsSlowBoot / r.events,
        goal: 'flat (1.0)',
        values: { ...r },
      });
    }
  }

  if (want('detection')) {
    progress("detection of Running (official tools vs the lifecycles' waits)");
    const s = (ms: number) => `${f(ms / 1000, 2)} s`;
    for (const r of await benchDetection({ perRound: envInt('CVMFLOW_BENCH_DETECTION_COUNT', 8) })) {
      add({
        what: `detection of Running, ${r.provider} (${r.case}, ${r.provider === 'phala' ? 'phalaWatchCvmState' : 'awaitCvmState'}): p50 from Running to the step done`,
        measured: `cvmflow ${s(r.cvmflow.p50Ms)}, ${f(r.cvmflow.requestsPerCvm, 2)} requests/CVM`,
        reference: `${r.tool.name}: ${s(r.tool.p50Ms)}, ${f(r.tool.requestsPerCvm, 2)} requests/CVM (${r.cvmflow.cvms} CVMs each)`,
        ratio: r.p50Ratio,
        goal: `<= 0.5 at requests <= 1 (requests ${f(r.requestRatio, 2)})`,
        values: { p50Ratio: r.p50Ratio, requestRatio: r.requestRatio, toolP50Ms: r.tool.p50Ms, cvmflowP50Ms: r.cvmflow.p50Ms, toolRequests: r.tool.requestsPerCvm, cvmflowRequests: r.cvmflow.requestsPerCvm },
      });
    }
  }

  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else printTable(rows);

  if (want('cluster')) {
    // Its own process: it starts a dev server and a 2-node PostgreSQL cluster and compares them in one run.
    console.log('\n## Trivial-workflow ceiling: SQLite dev server vs 2-node PostgreSQL cluster');
    const r = spawnSync(process.execPath, [join(__dirname, 'cluster-main.js'), process.env.CVMFLOW_BENCH_COUNT ?? '300'], { stdio: 'inherit' });
    if (r.status !== 0) console.log('(cluster benchmark failed; see above)');
  }
}

function printTable(rows: BenchRow[]): void {
  const cells = rows.map((r) => [r.what, r.measured, r.reference, r.ratio === undefined ? '' : f(r.ratio, 2), r.goal ?? '']);
  console.log('| what | measured | reference, same run | ratio | goal |');
  console.log('|---|---|---|---|---|');
  for (const c of cells) console.log(`| ${c.join(' | ')} |`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
