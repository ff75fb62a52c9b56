// What observability adds to the worker's options: the attestation-verdict activity interceptor always;
// with tracing, Temporal's OpenTelemetry activity interceptors, the traced client for activities, and the
// sink that exports workflow spans. Without tracing the sink is kept as a no-op, so a run started by a
// traced client on an untraced worker costs a dropped call instead of an "unregistered sink" error.
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/worker';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { attestationVerdictInterceptor } from './attestation-metrics';
import type { Tracing } from './tracing';

/** The workflow interceptor module (compiled or source, next to the workflows); bundles must include it. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

/** The sink traced workflow runs export their spans through: to the span processor, or dropped when off (also
 * what a replay worker needs for histories of traced runs). */
export function workflowSpanSinks(tracing?: Tracing): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  return { exporter: tracing ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource) : { export: { fn: () => undefined } } };
}

export function observabilityWorkerOptions(tracing: Tracing | undefined, bundlesFromSource: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        attestationVerdictInterceptor,
        ...(tracing ? [(ctx: Parameters<typeof attestationVerdictInterceptor>[0]) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })] : []),
      ],
      ...(tracing ? { client: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
      ...(bundlesFromSource ? { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } : {}),
    },
    sinks: workflowSpanSinks(tracing),
  };
}
