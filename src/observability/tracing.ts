// Traces, exported by OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set,
// and nothing at all otherwise: no tracer provider is registered and the SDK modules are not even loaded,
// so the OpenTelemetry API calls in the HTTP core and the interceptors stay no-ops. One provider per
// process, shared by the worker and any client in it; an application that registered its own first keeps it.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IResource } from '@opentelemetry/resources';
import type { WorkflowClientInterceptor } from '@temporalio/client';

export interface Tracing {
  /** Where spans go, e.g. `http://collector:4318/v1/traces`. */
  readonly url: string;
  readonly resource: IResource;
  /** For the workflow span sink: workflow spans join the same batches as the rest. */
  readonly spanProcessor: SpanProcessor;
  /** Sends what is buffered (a CLI before it exits). */
  flush(): Promise<void>;
  /** Flushes and unregisters; a later `startTracing` starts afresh. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** The OTLP traces URL the environment asks for, or undefined when tracing is off. */
export function otlpTracesUrl(env: Env = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

let current: Promise<Tracing | undefined> | undefined;

/** Starts tracing for this process when the environment asks for it (idempotent); undefined when off. */
export function startTracing(serviceName: string, env: Env = process.env): Promise<Tracing | undefined> {
  const url = otlpTracesUrl(env);
  if (!url) return Promise.resolve(undefined);
  current ??= register(url, env.OTEL_SERVICE_NAME?.trim() || serviceName);
  return current;
}

async function register(url: string, serviceName: string): Promise<Tracing> {
  const [api, { AsyncLocalStorageContextManager }, core, { BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const resource = Resource.default().merge(new Resource({ 'service.name': serviceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // False when the application registered its own provider: its spans then go there, and it keeps its setup.
  const owned = api.trace.setGlobalTracerProvider(provider);
  if (owned) {
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }));
  }
  return {
    url,
    resource,
    spanProcessor,
    flush: () => provider.forceFlush(),
    async shutdown() {
      current = undefined;
      await provider.shutdown();
      if (!owned) return;
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}

/** A client's tracing: started when the environment asks for it, with the interceptor that opens a span at
 * each workflow start (and signal, query, update) and carries its context in the Temporal headers. */
export async function clientTracing(serviceName = 'cvmflow-client'): Promise<{ tracing: Tracing; interceptors: { workflow: WorkflowClientInterceptor[] } } | undefined> {
  const tracing = await startTracing(serviceName);
  if (!tracing) return undefined;
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry/lib/client');
  return { tracing, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } };
}

/** Runs `fn` inside a span (a no-op span when tracing is off), so what it calls lands in one trace. */
export async function inSpan<T>(name: string, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return trace.getTracer('cvmflow').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
