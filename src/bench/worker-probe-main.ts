// A worker in its own process for the worker-cost bench, so its memory and CPU are its own: either cvmflow's
// production worker (createWorker with the built bundle and the production defaults) or a minimal TypeScript
// worker running the tiny bundle. Driven over IPC by src/bench/worker-cost.ts: it answers `sample` with its
// RSS, CPU time and cached workflow count, and stops on `stop`.
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../worker/config';
import { createWorker } from '../worker/worker';

export interface ProbeSample {
  rssBytes: number;
  heapUsedBytes: number;
  cpuMicros: number;
  cachedWorkflows: number;
  /** "workflow task duration exceeded" and other warnings the SDK logged so far. */
  slowTaskWarnings: number;
}

export type ProbeMessage = { type: 'ready' } | ({ type: 'sample' } & ProbeSample);

async function main(): Promise<void> {
  const kind = process.env.PROBE_KIND as 'production' | 'minimal';
  const address = process.env.PROBE_ADDRESS!;
  const taskQueue = process.env.PROBE_TASK_QUEUE!;
  let slowTaskWarnings = 0;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      if (/exceeded|took longer/i.test(entry.message)) slowTaskWarnings++;
    }),
  });
  const connection = await NativeConnection.connect({ address });
  let worker: Worker;
  if (kind === 'production') {
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: address,
      CVMFLOW_TASK_QUEUE: taskQueue,
      CVMFLOW_WORKER_VERSIONING: 'off',
      CVMFLOW_SANDBOX: 'off',
    });
    const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'disabled', prism: 'disabled', cudo: 'disabled' } } });
    const workflowSource = config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : undefined;
    worker = (await createWorker({ connection, config, activities, workflowSource })).worker;
  } else {
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: process.env.PROBE_BUNDLE! },
      activities: { noop: async () => undefined },
      ...(process.env.CVMFLOW_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: Number(process.env.CVMFLOW_MAX_CACHED_WORKFLOWS) } : {}),
    });
  }
  const sample = (): ProbeMessage => {
    const m = process.memoryUsage();
    const c = process.cpuUsage();
    return { type: 'sample', rssBytes: m.rss, heapUsedBytes: m.heapUsed, cpuMicros: c.user + c.system, cachedWorkflows: worker.getStatus().numCachedWorkflows, slowTaskWarnings };
  };
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'sample') process.send!(sample());
    if (msg.type === 'stop') worker.shutdown();
  });
  await worker.runUntil(async () => {
    process.send!({ type: 'ready' } satisfies ProbeMessage);
    await new Promise<void>((resolve) => process.once('disconnect', resolve).on('message', (m: { type: string }) => m.type === 'stop' && resolve()));
  });
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
