// Installs the Temporal Runtime once, with pino as its logger so SDK and cvmflow logs are one stream.
import { Runtime } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { HISTOGRAM_BUCKETS } from '../observability/metric-names';
import { PinoTemporalLogger } from './logging';

const CORE_LEVEL: Record<string, 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'> = {
  trace: 'TRACE', debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR', fatal: 'ERROR',
};

export function installRuntime(logger: PinoLogger, level: string, metricsAddress?: string): void {
  Runtime.install({
    logger: new PinoTemporalLogger(logger),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: CORE_LEVEL[level] ?? 'WARN', other: CORE_LEVEL[level] ?? 'WARN' } },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress, histogramBucketOverrides: HISTOGRAM_BUCKETS } } } : {}),
    },
  });
}
