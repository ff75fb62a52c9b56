// Builds the Temporal worker from config: production bundle when built, concurrency from config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { codecDataConverter } from '../codec/payload-codec';
import { observabilityWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } from '../observability/worker';
import type { Tracing } from '../observability/tracing';
import type { CvmflowConfig } from './config';
import { PROJECT_ROOT } from '../common/paths';
import { buildIdOfBundle, buildIdOfBundleFile, deploymentOptions, type WorkerVersion } from './versioning';

export const PRODUCTION_BUNDLE = join(PROJECT_ROOT, 'lib', 'workflow-bundle.js');
export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Evaluated once per worker and shared by every workflow, not once per workflow (src/workflows/shared-modules.ts). */
export const WORKFLOW_PRELOAD_MODULES = [require.resolve('../workflows/shared-modules')];

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

/**
 * The workflow code as a bundle, so its build id can be taken from the content: a pre-built bundle is hashed as it
 * is; source (development without `npm run build`) is bundled here first, with the workflow interceptors.
 */
async function bundled(source: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>): Promise<{ workflowBundle: NonNullable<WorkerOptions['workflowBundle']>; buildId: string }> {
  const b = source.workflowBundle;
  if (b && 'codePath' in b) return { workflowBundle: b, buildId: buildIdOfBundleFile(b.codePath) };
  if (b && 'code' in b) return { workflowBundle: b, buildId: buildIdOfBundle(b.code) };
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: source.workflowsPath!,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
  });
  return { workflowBundle: { code }, buildId: buildIdOfBundle(code) };
}

export interface CvmflowWorker {
  worker: Worker;
  /** The worker's deployment version; `versioned` false when CVMFLOW_WORKER_VERSIONING=off. */
  version: WorkerVersion;
}

export async function createWorker(p: CreateWorkerParams): Promise<CvmflowWorker> {
  const { workflowBundle, buildId } = await bundled(p.workflowSource ?? defaultWorkflowSource());
  const version: WorkerVersion = { deploymentName: p.config.versioning.deploymentName, buildId, versioned: p.config.versioning.mode === 'on' };
  const worker = await Worker.create({
    connection: p.connection,
    namespace: p.config.temporal.namespace,
    taskQueue: p.config.taskQueue,
    activities: p.activities,
    dataConverter: codecDataConverter(p.config.codec.keyRing),
    workflowBundle,
    ...observabilityWorkerOptions(p.tracing, false),
    ...deploymentOptions(version),
    maxConcurrentActivityTaskExecutions: p.config.worker.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: p.config.worker.maxConcurrentWorkflowTaskExecutions,
    maxCachedWorkflows: p.config.worker.maxCachedWorkflows,
    shutdownGraceTime: p.config.worker.shutdownGraceTimeMs,
  });
  return { worker, version };
}
