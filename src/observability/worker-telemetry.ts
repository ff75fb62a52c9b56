// The worker's telemetry in one place for `main.ts`: tracing when OTLP is configured, provider request
// metrics and the teardown gauges when the Prometheus endpoint is (all on the Runtime's metric meter, so
// they are served beside the SDK's own metrics).
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import type { RequestObserver } from '../providers/http/observe';
import type { CvmflowConfig } from '../worker/config';
import { METRICS } from './metric-names';
import { providerRequestMetrics } from './provider-metrics';
import { startTeardownGauges, type TeardownGauges } from './teardown-gauges';
import { startTracing, type Tracing } from './tracing';

export interface WorkerTelemetry {
  tracing?: Tracing;
  /** For the provider clients; undefined when metrics are off. */
  onRequestDone?: RequestObserver;
  /** Starts the teardown gauges on the worker's own client (metrics on only). */
  watchTeardowns(client: Client | undefined): void;
  /** Publishes the worker's deployment version as `cvmflow_worker_build_info` (metrics on only). */
  workerVersion(v: { deploymentName: string; buildId: string; versioned: boolean }): void;
  close(): Promise<void>;
}

export async function startWorkerTelemetry(config: CvmflowConfig, logger: PinoLogger): Promise<WorkerTelemetry> {
  const tracing = await startTracing('cvmflow-worker');
  if (tracing) logger.info({ url: tracing.url }, 'tracing: exporting spans by OTLP/HTTP');
  const meter = config.metricsAddress ? Runtime.instance().metricMeter : undefined;
  let gauges: TeardownGauges | undefined;
  return {
    tracing,
    onRequestDone: meter ? providerRequestMetrics(meter) : undefined,
    watchTeardowns(client) {
      if (!meter || !client || gauges) return;
      gauges = startTeardownGauges({
        client,
        meter,
        namespace: config.temporal.namespace,
        taskQueue: config.taskQueue,
        intervalMs: config.teardownMetricsIntervalMs,
        onError: (err) => logger.warn({ err: (err as Error).message }, 'teardown gauges: visibility count failed; keeping the last values'),
      });
    },
    workerVersion(v) {
      meter
        ?.createGauge(METRICS.workerBuildInfo, 'int', 'info', "The worker's deployment version: deployment, build id (from the workflow bundle's content), versioning on/off")
        .set(1, { namespace: config.temporal.namespace, taskQueue: config.taskQueue, deployment: v.deploymentName, build_id: v.buildId, versioning: v.versioned ? 'on' : 'off' });
    },
    async close() {
      gauges?.stop();
      await tracing?.shutdown();
    },
  };
}
