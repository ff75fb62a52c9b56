// Throughput of trivial workflows on a Temporal server: one worker, `count` pingCvmflow workflows started at
// once, timed from the first start to the last result. The same code measures the dev server and the cluster.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { defaultWorkflowSource } from '../worker/worker';
import { pingCvmflow } from '../workflows';
import { DEFAULT_NAMESPACE } from '../contract/defaults';
import { countCpu } from './cpu';

export interface TrivialWorkflowsResult {
  workflowsPerSecond: number;
  count: number;
  seconds: number;
  /** CPU per workflow of this process (worker and client) and, when its pid was given, of the server. */
  cpuMsPerWorkflow: number;
  serverCpuMsPerWorkflow?: number;
}

export interface BenchOptions {
  namespace?: string;
  /** Workflows run before the timed batch, so worker start-up and poller spin-up are not measured. */
  warmup?: number;
  /** Worker slots, as the production worker's defaults (CVMFLOW_MAX_CONCURRENT_*). */
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /** The server's pid, to count its CPU (a dev server on this machine). */
  serverPid?: number;
}

export async function benchTrivialWorkflows(address: string, count: number, opts: BenchOptions = {}): Promise<TrivialWorkflowsResult> {
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      activities: createActivities({ workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } } }),
      ...defaultWorkflowSource(),
      maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions ?? 40,
      maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 100,
    });
    const batch = async (n: number, prefix: string) => {
      const handles = await Promise.all(Array.from({ length: n }, (_, i) => client.workflow.start(pingCvmflow, { taskQueue, workflowId: `${prefix}-${i}` })));
      await Promise.all(handles.map((h) => h.result()));
    };
    return await worker.runUntil(async () => {
      await batch(opts.warmup ?? 10, `${taskQueue}-warmup`);
      const started = process.hrtime.bigint();
      const counting = countCpu({ server: opts.serverPid });
      await batch(count, taskQueue);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = counting.stop(count);
      return { workflowsPerSecond: count / seconds, count, seconds, cpuMsPerWorkflow: used.ownMsPerWorkflow, serverCpuMsPerWorkflow: used.othersMsPerWorkflow.server };
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}
