// A lifecycle's cost above the Temporal floor (issue 16, goal 3): each provider's lifecycle on cvmflow's production
// worker with the sandbox answering at once, beside a minimal workflow on a minimal worker making the same number
// of no-op activity calls, one after another on the same dev server in the same run; plus events per lifecycle.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../worker/config';
import { startSandboxedProviders } from './sandboxed';
import { createWorker } from '../worker/worker';

export interface OverheadRow {
  workflow: string;
  /** Median ms from start to result of the lifecycle, and of the minimal workflow with as many calls of each kind. */
  lifecycleMs: number;
  floorMs: number;
  activities: number;
  localActivities: number;
  events: number;
  /** How many events of each type one lifecycle wrote (markers by marker name). */
  eventTypes: Record<string, number>;
  /** Time inside each activity function (local ones too) in the last round, by type. */
  activityMs: Record<string, number>;
  /** Median ms from start to result less the time inside its activity functions: the provider's answers and boots
   * and the evidence checks for the lifecycle, the no-ops for the floor. What Temporal and the workflow code cost. */
  lifecycleOwnMs: number;
  floorOwnMs: number;
  /** The same for a minimal workflow that also writes what the lifecycle writes besides its calls: its
   * search-attribute writes and patch markers, in the lifecycle's order (`commands`, see commandKinds). */
  commands: string;
  floorCommandsMs: number;
  floorCommandsOwnMs: number;
  /** Where a run's time went by its history's timestamps (the server's clock), mean over the rounds. */
  split: { lifecycle: TimeSplit; floor: TimeSplit };
}

/**
 * A run's time from its first event to its last: inside workflow tasks (started to completed: the worker's
 * processing, local activities included, and its round trip), inside activities (started to completed), and the rest
 * (the server and matching: scheduling, dispatch to a waiting poller, history writes).
 */
export interface TimeSplit {
  totalMs: number;
  workflowTasksMs: number;
  activitiesMs: number;
  serverMs: number;
}

const LIFECYCLES: { type: string; args: (id: string) => unknown[] }[] = [
  { type: 'createCudoVm', args: (id) => [{ vmId: `oh-${id}`, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '100ms', providerCallTimeout: '10s' }] },
  { type: 'provisionPhalaCvm', args: (id) => [{ name: `oh-${id}`, composeFile: 'services: {}\n', pollInterval: '100ms', providerCallTimeout: '10s' }] },
  { type: 'createAttestedPrismCvm', args: (id) => [{ name: `oh-${id}`, pollInterval: '100ms', providerCallTimeout: '10s' }] },
];

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * Everything the lifecycle asked the server to record, in order: `A` an activity scheduled, `L` a local activity's
 * marker, `S` a search-attribute write of its own and `P` a patch (whose marker comes with the SDK's
 * `TemporalChangeVersion` write, not counted again).
 */
function commandKinds(history: HistoryEvent[]): string {
  return history
    .map((e) => {
      const upsert = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      if (upsert) return 'TemporalChangeVersion' in upsert ? '' : 'S';
      const marker = e.markerRecordedEventAttributes?.markerName;
      return e.activityTaskScheduledEventAttributes ? 'A' : marker === 'core_local_activity' ? 'L' : marker === 'core_patch' ? 'P' : '';
    })
    .join('');
}

function timeSplit(history: HistoryEvent[]): TimeSplit {
  const at = (e: HistoryEvent | undefined) => (e?.eventTime ? Number(e.eventTime.seconds ?? 0) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : 0);
  const byId = new Map(history.map((e) => [Number(e.eventId), e]));
  let workflowTasksMs = 0;
  let activitiesMs = 0;
  for (const e of history) {
    const wft = e.workflowTaskCompletedEventAttributes;
    if (wft) workflowTasksMs += at(e) - at(byId.get(Number(wft.startedEventId)));
    const act = e.activityTaskCompletedEventAttributes;
    if (act) activitiesMs += at(e) - at(byId.get(Number(act.startedEventId)));
  }
  const totalMs = history.length ? at(history[history.length - 1]) - at(history[0]) : 0;
  return { totalMs, workflowTasksMs, activitiesMs, serverMs: totalMs - workflowTasksMs - activitiesMs };
}

function meanSplit(splits: TimeSplit[]): TimeSplit {
  const mean = (k: keyof TimeSplit) => splits.reduce((a, x) => a + x[k], 0) / Math.max(1, splits.length);
  return { totalMs: mean('totalMs'), workflowTasksMs: mean('workflowTasksMs'), activitiesMs: mean('activitiesMs'), serverMs: mean('serverMs') };
}

/** Adds each call's time inside the activity function, by workflow id and activity type, to `spent` (local ones too). */
function timeActivities<T extends object>(acts: T, spent: Map<string, Record<string, number>>): T {
  return Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const began = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          const id = Context.current().info.workflowExecution?.workflowId ?? '?';
          const m = spent.get(id) ?? {};
          m[name] = (m[name] ?? 0) + performance.now() - began;
          spent.set(id, m);
        }
      },
    ]),
  ) as T;
}

function countEventTypes(history: HistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of history) {
    const marker = e.markerRecordedEventAttributes?.markerName;
    const type = marker ? `marker:${marker}` : (Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]) ?? 'unknown').replace(/EventAttributes$/, '');
    out[type] = (out[type] ?? 0) + 1;
  }
  return out;
}

const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(run: () => Promise<unknown>): Promise<number> {
  const began = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - began) / 1e6;
}

/** `rounds` runs of each lifecycle and of its floor, alternating, on one production and one minimal worker. */
export async function benchLifecycleOverhead(client: Client, address: string, tinyBundle: string, rounds = 15): Promise<OverheadRow[]> {
  const tag = randomUUID().slice(0, 8);
  const taskQueue = `bench-overhead-${tag}`;
  const floorQueue = `bench-floor-${tag}`;
  // The sandboxes at 10,000x: a 2-8 s boot takes under a millisecond, so only cvmflow and Temporal are measured.
  const providers = await startSandboxedProviders(taskQueue, 10_000);
  const connection = await NativeConnection.connect({ address });
  try {
    const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: address, CVMFLOW_TASK_QUEUE: taskQueue, CVMFLOW_WORKER_VERSIONING: 'off', CVMFLOW_SANDBOX: 'off', CVMFLOW_LOG_LEVEL: 'warn' });
    const spent = new Map<string, Record<string, number>>();
    const activities = timeActivities(providers.activities, spent);
    const workflowSource = config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : undefined;
    const { worker } = await createWorker({ connection, config, activities, workflowSource });
    const floor = await Worker.create({ connection, taskQueue: floorQueue, workflowBundle: { codePath: tinyBundle }, activities: timeActivities({ noop: async () => undefined }, spent) });
    const rows: OverheadRow[] = [];
    await Promise.all([
      floor.run(),
      worker.runUntil(async () => {
        try {
          for (const [li, l] of LIFECYCLES.entries()) {
            const lifecycle: number[] = [];
            const floorRuns: number[] = [];
            let calls = '';
            let commands = '';
            const floorCommandRuns: number[] = [];
            const floorCommandsOwn: number[] = [];
            let events = 0;
            let eventTypes: Record<string, number> = {};
            let activityTimes: Record<string, number> = {};
            const lifecycleOwn: number[] = [];
            const floorOwn: number[] = [];
            const splits = { lifecycle: [] as TimeSplit[], floor: [] as TimeSplit[] };
            for (let r = 0; r < rounds + 1; r++) {
              const id = `${tag}-${li}-${r}`;
              let handle: WorkflowHandle | undefined;
              const ms = await timed(async () => {
                handle = await client.workflow.start(l.type, { taskQueue, workflowId: `bench/${id}`, args: l.args(id) });
                await handle.result();
              });
              const history = (await handle!.fetchHistory()).events ?? [];
              commands = commandKinds(history);
              calls = commands.replace(/[SP]/g, ''); // the calls alone
              events = history.length;
              eventTypes = countEventTypes(history);
              const floorMs = await timed(() => client.workflow.execute('tinyActivities', { taskQueue: floorQueue, workflowId: `bench/floor-${id}`, args: [calls] }));
              const floorHistory = (await client.workflow.getHandle(`bench/floor-${id}`).fetchHistory()).events ?? [];
              const floorCommandsMs = await timed(() => client.workflow.execute('tinyActivities', { taskQueue: floorQueue, workflowId: `bench/floor-commands-${id}`, args: [commands] }));
              if (r === 0) continue; // the first round warms both workers up
              splits.lifecycle.push(timeSplit(history));
              splits.floor.push(timeSplit(floorHistory));
              lifecycle.push(ms);
              floorRuns.push(floorMs);
              activityTimes = spent.get(`bench/${id}`) ?? {};
              lifecycleOwn.push(ms - sum(activityTimes));
              floorOwn.push(floorMs - sum(spent.get(`bench/floor-${id}`) ?? {}));
              floorCommandRuns.push(floorCommandsMs);
              floorCommandsOwn.push(floorCommandsMs - sum(spent.get(`bench/floor-commands-${id}`) ?? {}));
            }
            const activities = [...calls].filter((k) => k === 'A').length;
            rows.push({ workflow: l.type, lifecycleMs: median(lifecycle), floorMs: median(floorRuns), activities, localActivities: calls.length - activities, events, eventTypes, activityMs: activityTimes, lifecycleOwnMs: median(lifecycleOwn), floorOwnMs: median(floorOwn), commands, floorCommandsMs: median(floorCommandRuns), floorCommandsOwnMs: median(floorCommandsOwn), split: { lifecycle: meanSplit(splits.lifecycle), floor: meanSplit(splits.floor) } });
          }
        } finally {
          floor.shutdown();
        }
      }),
    ]);
    return rows;
  } finally {
    await Promise.all([connection.close(), providers.close()]);
  }
}
