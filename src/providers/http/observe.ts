// What the request core tells the outside about each request, without knowing who listens: a client span
// through the OpenTelemetry API (a no-op until a tracer provider is registered) and an optional
// `onRequestDone` observer the worker turns into metrics. Both name the endpoint by its documented
// template (`GET /cvms/{id}`), never the filled-in path, so ids do not become labels or span names.
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { endpointLabel, type EndpointDef, type HttpMethod } from './endpoint';
import { isProviderError, type ProviderErrorKind } from './errors';

export interface RequestDone {
  provider: EndpointDef['provider'];
  /** The documented template with its method, e.g. `GET /cvms/{id}`. */
  endpoint: string;
  method: HttpMethod;
  /** The HTTP status; undefined when no response arrived (network, timeout, cancelled). */
  status?: number;
  /** Undefined when the request succeeded; `internal` for an error that is not a ProviderError (a bug). */
  errorKind?: ProviderErrorKind | 'internal';
  durationMs: number;
}

export type RequestObserver = (done: RequestDone) => void;

const tracer = trace.getTracer('cvmflow-provider-http');

/** One request in flight: started when the core sends it, finished once with its outcome. */
export class RequestObservation {
  status?: number;
  private readonly span: Span;
  private readonly started = performance.now();
  private finished = false;

  constructor(
    private readonly endpoint: EndpointDef,
    baseUrl: URL,
    private readonly observer?: RequestObserver,
  ) {
    const label = endpointLabel(endpoint);
    this.span = tracer.startSpan(label, {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': endpoint.method, 'url.template': endpoint.path, 'server.address': baseUrl.hostname, 'cvmflow.provider': endpoint.provider },
    });
  }

  /** Ends the observation; the first call wins (a stream may end after an error was already reported). */
  finish(err?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    const status = isProviderError(err) ? (err.status ?? this.status) : this.status;
    const errorKind: RequestDone['errorKind'] = err === undefined ? undefined : isProviderError(err) ? err.kind : 'internal';
    if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
    if (errorKind) {
      this.span.setAttribute('error.type', errorKind);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind });
    }
    this.span.end();
    if (!this.observer) return;
    try {
      this.observer({ provider: this.endpoint.provider, endpoint: endpointLabel(this.endpoint), method: this.endpoint.method, status, errorKind, durationMs: performance.now() - this.started });
    } catch {
      // An observer's failure must never become the request's failure.
    }
  }
}
