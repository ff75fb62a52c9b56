// OpenTelemetry spans inside a workflow run, only for runs started with a trace context (the client's
// OpenTelemetry interceptor puts it in the start headers). Such a run gets Temporal's own workflow
// interceptors, which carry the context on to its activities and children; any other run goes straight
// through and never loads the OpenTelemetry SDK into its sandbox. Header-driven, so replay decides alike.
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInternalsInterceptor, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/** The header `@temporalio/interceptors-opentelemetry` propagates the context in (its `TRACE_HEADER`). */
export const TRACE_HEADER = '_tracer-data';

interface OtelInterceptors {
  inbound: OtelWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OtelWorkflow.OpenTelemetryInternalsInterceptor;
}

function loadOtel(): OtelInterceptors {
  // Required here, not imported, so that webpack evaluates the OpenTelemetry modules only in traced runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
  return { inbound: new otel.OpenTelemetryInboundInterceptor(), outbound: new otel.OpenTelemetryOutboundInterceptor(), internals: new otel.OpenTelemetryInternalsInterceptor() };
}

export interface TracingInterceptors {
  inbound: WorkflowInboundCallsInterceptor;
  outbound: WorkflowOutboundCallsInterceptor;
  internals: WorkflowInternalsInterceptor;
}

export function traceWhenPropagated(): TracingInterceptors {
  let otel: OtelInterceptors | undefined;
  return {
    inbound: {
      execute(input, next) {
        if (input.headers[TRACE_HEADER] === undefined) return next(input);
        otel = loadOtel();
        return otel.inbound.execute(input, next);
      },
      handleSignal: (input, next) => (otel ? otel.inbound.handleSignal(input, next) : next(input)),
      handleUpdate: (input, next) => (otel ? otel.inbound.handleUpdate(input, next) : next(input)),
      validateUpdate: (input, next) => (otel ? otel.inbound.validateUpdate(input, next) : next(input)),
      handleQuery: (input, next) => (otel ? otel.inbound.handleQuery(input, next) : next(input)),
    },
    outbound: {
      scheduleActivity: (input, next) => (otel ? otel.outbound.scheduleActivity(input, next) : next(input)),
      scheduleLocalActivity: (input, next) => (otel ? otel.outbound.scheduleLocalActivity(input, next) : next(input)),
      startChildWorkflowExecution: (input, next) => (otel ? otel.outbound.startChildWorkflowExecution(input, next) : next(input)),
      continueAsNew: (input, next) => (otel ? otel.outbound.continueAsNew(input, next) : next(input)),
      signalWorkflow: (input, next) => (otel ? otel.outbound.signalWorkflow(input, next) : next(input)),
      startNexusOperation: (input, next) => (otel ? otel.outbound.startNexusOperation(input, next) : next(input)),
      getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
    },
    internals: {
      dispose(input, next) {
        if (!otel) return next(input);
        void otel.internals.dispose(input, next); // async only in name: it runs to the end synchronously
      },
    },
  };
}
