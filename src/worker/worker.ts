// Builds the Temporal worker from config: production bundle when built, concurrency from config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { codecDataConverter } from '../codec/payload-codec';
import { observabilityWorkerOptions } from '../observability/worker';
import type { Tracing } from '../observability/tracing';
import type { CvmflowConfig } from './config';
import { PROJECT_ROOT } from './toolchain/paths';

export const PRODUCTION_BUNDLE = join(PROJECT_ROOT, 'lib', 'workflow-bundle.js');
export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface CreateWorkerParams {
  connection: NativeConnection;
  config: CvmflowConfig;
  activities: object;
  /** Overrides the bundle choice (tests pass a pre-built bundle). */
  workflowSource?: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT started tracing (src/observability/tracing.ts). */
  tracing?: Tracing;
}

/** The pre-built bundle when `npm run build` made one; else bundle from source (development only). */
export function defaultWorkflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return existsSync(PRODUCTION_BUNDLE) ? { workflowBundle: { codePath: PRODUCTION_BUNDLE } } : { workflowsPath: WORKFLOWS_PATH };
}

export async function createWorker(p: CreateWorkerParams): Promise<Worker> {
  const source = p.workflowSource ?? defaultWorkflowSource();
  return Worker.create({
    connection: p.connection,
    namespace: p.config.temporal.namespace,
    taskQueue: p.config.taskQueue,
    activities: p.activities,
    dataConverter: codecDataConverter(p.config.codec.keyRing),
    ...source,
    ...observabilityWorkerOptions(p.tracing, !source.workflowBundle),
    maxConcurrentActivityTaskExecutions: p.config.worker.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: p.config.worker.maxConcurrentWorkflowTaskExecutions,
    ...(p.config.worker.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: p.config.worker.maxCachedWorkflows } : {}),
    shutdownGraceTime: p.config.worker.shutdownGraceTimeMs,
  });
}
