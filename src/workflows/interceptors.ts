// The workflow interceptor module every bundle loads (scripts/build.cjs, the worker when it bundles from
// source, the test bundle): the input guard (one input, plain update rejections, signals that cannot fail a
// task), cvmflow's workflow metrics, and spans for runs started with a trace context.
// Not exported from ./index, so it is no workflow type. Besides the guard's refusals of bad input they only
// observe: no command is added or changed, except that traced runs carry the trace context in the headers of the
// commands they schedule.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { InputGuardInterceptor } from './support/input-guard';
import { LifecycleMetricsInterceptor } from './support/lifecycle-metrics';
import { traceWhenPropagated } from './support/tracing';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const tracing = traceWhenPropagated();
  return { inbound: [tracing.inbound, new LifecycleMetricsInterceptor(), new InputGuardInterceptor()], outbound: [tracing.outbound], internals: [tracing.internals] };
};
