// cvmflow's workflow metrics, recorded by an inbound interceptor around each run so no workflow body
// changes: lifecycle runs and durations by provider and outcome, and the fleet gauges of a
// `collectCvmStatistics` result. The SDK's workflow `metricMeter` drops every call made while replaying,
// so a run that is replayed (cache eviction, another worker) is counted once, when it really ends.
import { isCancellation, log, metricMeter, workflowInfo, ContinueAsNew, type Next, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor } from '@temporalio/workflow';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { PROVIDERS } from '../../contract/common';
import type { CollectCvmStatisticsResult } from '../../contract/fleet';
import { LIFECYCLE_TYPES, WORKFLOW_TYPES } from '../../contract/workflow-ids';
import { FailureTypes } from '../../contract/failures';
import { METRICS } from '../../observability/metric-names';
import { ofProvider } from './provider-port';

export type LifecycleOutcome = 'completed' | 'failed' | 'cancelled';

const PROVIDER_OF_TYPE: Record<string, string> = Object.fromEntries(Object.entries(LIFECYCLE_TYPES).map(([provider, type]) => [type, provider]));
const PER_CVM_TYPES: readonly string[] = [WORKFLOW_TYPES.teardownCvm, WORKFLOW_TYPES.operateCvm];

/** The provider a lifecycle run is about; undefined for runs that are not CVM lifecycles (fleet, ping). */
export function lifecycleProvider(workflowType: string, input: unknown): string | undefined {
  if (PROVIDER_OF_TYPE[workflowType]) return PROVIDER_OF_TYPE[workflowType];
  if (!PER_CVM_TYPES.includes(workflowType)) return undefined;
  const provider = (input as { provider?: unknown } | null | undefined)?.provider;
  return (PROVIDERS as readonly unknown[]).includes(provider) ? (provider as string) : 'unknown';
}

/**
 * How a run ended, from what its main function threw; undefined when the run has not ended: continue-as-new,
 * or an error that is not a Temporal failure (it fails the workflow task, which is retried, not the run).
 */
export function outcomeOf(err: unknown): LifecycleOutcome | undefined {
  if (err instanceof ContinueAsNew) return undefined;
  if (isCancellation(err) || (err instanceof ApplicationFailure && err.type === FailureTypes.LifecycleCancelled)) return 'cancelled';
  return err instanceof TemporalFailure ? 'failed' : undefined;
}

/** Gauges from a `collectCvmStatistics` result: running CVMs, and how their statistics came back, per provider. */
export function recordCvmStatistics(result: CollectCvmStatisticsResult): void {
  const cvms = metricMeter.createGauge(METRICS.cvms, 'int', 'cvms', 'CVMs by provider and state, as the last collectCvmStatistics run saw them');
  const stats = metricMeter.createGauge(METRICS.cvmStatistics, 'int', 'cvms', 'CVMs of the last collectCvmStatistics run by statistics result');
  for (const [provider, summary] of Object.entries(result.providers)) {
    if (summary.skipped !== null) continue; // not configured on this worker: nothing was seen
    cvms.set(summary.running, { provider, state: 'running' });
    const mine = result.cvms.filter(ofProvider(provider));
    stats.set(mine.filter((c) => c.error === null && c.samples > 0).length, { provider, result: 'collected' });
    stats.set(mine.filter((c) => c.error === null && c.samples === 0).length, { provider, result: 'empty' });
    stats.set(mine.filter((c) => c.error !== null).length, { provider, result: 'failed' });
  }
}

export class LifecycleMetricsInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { workflowType } = workflowInfo();
    const provider = lifecycleProvider(workflowType, input.args[0]);
    const statistics = workflowType === WORKFLOW_TYPES.collectCvmStatistics;
    if (!provider && !statistics) return next(input);
    let result: unknown;
    try {
      result = await next(input);
    } catch (err) {
      const outcome = outcomeOf(err);
      if (provider && outcome) safely(() => recordRun(provider, outcome));
      throw err;
    }
    if (provider) safely(() => recordRun(provider, 'completed'));
    if (statistics) safely(() => recordCvmStatistics(result as CollectCvmStatisticsResult));
    return result;
  }
}

/** A metric that cannot be recorded is logged, never thrown: it would fail the workflow task, and retry it forever. */
function safely(record: () => void): void {
  try {
    record();
  } catch (err) {
    log.warn('cvmflow metrics: not recorded', { error: (err as Error)?.message });
  }
}

function recordRun(provider: string, outcome: LifecycleOutcome): void {
  const tags = { provider, outcome };
  metricMeter.createCounter(METRICS.lifecycleRuns, 'runs', 'CVM lifecycle runs that ended, by provider and outcome').add(1, tags);
  const seconds = (Date.now() - workflowInfo().startTime.getTime()) / 1000;
  metricMeter.createHistogram(METRICS.lifecycleDuration, 'float', 's', 'CVM lifecycle run duration, start of the run chain to its end').record(Math.max(0, seconds), tags);
}
