// The workflow interceptor module every bundle loads (scripts/build.cjs, the worker when it bundles from
// source, the test bundle): cvmflow's workflow metrics, and spans for runs started with a trace context.
// Not exported from ./index, so it is no workflow type. They only observe: no command is added or changed,
// except that traced runs carry the trace context in the headers of the commands they schedule.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { LifecycleMetricsInterceptor } from './support/lifecycle-metrics';
import { traceWhenPropagated } from './support/tracing';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const tracing = traceWhenPropagated();
  return { inbound: [tracing.inbound, new LifecycleMetricsInterceptor()], outbound: [tracing.outbound], internals: [tracing.internals] };
};
