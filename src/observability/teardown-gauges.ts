// Teardowns pending and overdue, as gauges the worker refreshes on an interval with two visibility count
// queries on its own task queue: running `teardownCvm` runs, and those whose `CvmTeardownAt` has passed
// (a teardown that should have happened and has not: a stuck provider, or no worker on the queue).
import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { listQuery } from '../client/cvmflow-client';
import { CvmTeardownAt } from '../contract/search-attributes';
import { WORKFLOW_TYPES } from '../contract/workflow-ids';
import { METRICS } from './metric-names';

export interface TeardownGaugeOptions {
  client: Pick<Client, 'workflow'>;
  meter: MetricMeter;
  namespace: string;
  taskQueue: string;
  intervalMs: number;
  now?: () => Date;
  /** A failed refresh keeps the last values; this hears why. */
  onError?: (err: unknown) => void;
}

export interface TeardownGauges {
  /** One refresh now (the interval also calls it). */
  refresh(): Promise<{ pending: number; overdue: number }>;
  stop(): void;
}

/** The two count queries; string values are JSON-quoted, which visibility queries accept. */
export function teardownQueries(taskQueue: string, now: Date): { pending: string; overdue: string } {
  const pending = `${listQuery({ types: [WORKFLOW_TYPES.teardownCvm], status: 'running' })} AND TaskQueue = ${JSON.stringify(taskQueue)}`;
  return { pending, overdue: `${pending} AND ${CvmTeardownAt.name} < ${JSON.stringify(now.toISOString())}` };
}

export function startTeardownGauges(o: TeardownGaugeOptions): TeardownGauges {
  const tags = { namespace: o.namespace, taskQueue: o.taskQueue }; // the SDK's tag names on workflow and activity metrics
  const pending = o.meter.createGauge(METRICS.teardownsPending, 'int', 'workflows', 'Running teardownCvm workflows on this task queue');
  const overdue = o.meter.createGauge(METRICS.teardownsOverdue, 'int', 'workflows', 'Running teardownCvm workflows whose CvmTeardownAt has passed');
  let inFlight: Promise<{ pending: number; overdue: number }> | undefined;

  const refresh = (): Promise<{ pending: number; overdue: number }> => {
    inFlight ??= (async () => {
      try {
        const q = teardownQueries(o.taskQueue, (o.now ?? (() => new Date()))());
        const [p, d] = await Promise.all([o.client.workflow.count(q.pending), o.client.workflow.count(q.overdue)]);
        pending.set(p.count, tags);
        overdue.set(d.count, tags);
        return { pending: p.count, overdue: d.count };
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
  const tick = () => void refresh().catch((err: unknown) => o.onError?.(err));
  tick();
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
