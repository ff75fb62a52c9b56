// The one HTTP request core every provider client uses: undici keep-alive pool per base URL, timeouts,
// cancellation, JSON and SSE, Retry-After, zod-validated responses and one error taxonomy.
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { endpointLabel, fillPath, type EndpointDef } from './endpoint';
import { kindForStatus, ProviderError, type ProviderErrorKind } from './errors';
import { RequestObservation, type RequestObserver } from './observe';
import { parseRetryAfter } from './retry-after';
import { parseSse, type SseEvent } from './sse';

export const USER_AGENT = 'cvmflow/0.1 (+https://github.com/cvmflow)';

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number | boolean>;

export interface RequestSpec<T> {
  endpoint: EndpointDef;
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  /** JSON body; `undefined` sends none. */
  body?: unknown;
  /** A raw body with its content type (YAML, text). */
  rawBody?: { contentType: string; data: string };
  headers?: Record<string, string>;
  /** Validates the parsed body (or `undefined` for an empty body). */
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Overrides the core's body timeout (long SSE streams). */
  bodyTimeoutMs?: number;
}

export interface ErrorBodyInfo {
  message?: string;
  code?: string;
  kind?: ProviderErrorKind;
  retryable?: boolean;
  details?: unknown;
}

export interface ResponseLog {
  provider: string;
  endpoint: string;
  path: string;
  status?: number;
  durationMs: number;
  error?: string;
}

export interface HttpCoreOptions {
  provider: EndpointDef['provider'];
  baseUrl: string;
  /** Auth headers, added to every request and never logged or put into errors. */
  authHeaders: () => Record<string, string>;
  defaultHeaders?: Record<string, string>;
  userAgent?: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Reads the provider's error body shapes into code/message/kind. */
  parseErrorBody?: (status: number, body: unknown, text: string) => ErrorBodyInfo;
  onResponse?: (log: ResponseLog) => void;
  /** Called once per request when it is done (after the body is read and checked, or a stream ends). */
  onRequestDone?: RequestObserver;
  /** Tests can pass their own dispatcher. */
  dispatcher?: Dispatcher;
}

/** What every provider client takes about its transport and hands to its core unchanged. */
export type TransportOptions = Pick<HttpCoreOptions, 'onResponse' | 'onRequestDone' | 'userAgent' | 'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs' | 'dispatcher'>;

/** Just the transport options of a client's options (never its credentials). */
export function transportOptions(o: TransportOptions): TransportOptions {
  const { onResponse, onRequestDone, userAgent, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs, dispatcher } = o;
  return { onResponse, onRequestDone, userAgent, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs, dispatcher };
}

/** Per-call options of every provider client method. */
export interface CallOptions {
  signal?: AbortSignal;
}

const MAX_MESSAGE = 500;

function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) sp.append(k, String(item));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

function zodSummary(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

/** Maps undici/Node network failures onto the taxonomy. */
function transportError(err: unknown, provider: string, endpoint: string, signal?: AbortSignal): ProviderError {
  const e = err as { code?: string; name?: string; message?: string };
  if (signal?.aborted || e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') {
    return new ProviderError({ kind: 'cancelled', provider, endpoint, message: 'request cancelled', cause: err });
  }
  if (err instanceof undiciErrors.ConnectTimeoutError || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ProviderError({ kind: 'timeout', provider, endpoint, message: 'connect timeout', cause: err });
  }
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT') return new ProviderError({ kind: 'timeout', provider, endpoint, message: 'no response headers before the timeout', cause: err });
  if (e.code === 'UND_ERR_BODY_TIMEOUT') return new ProviderError({ kind: 'timeout', provider, endpoint, message: 'response body stalled past the timeout', cause: err });
  const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  return new ProviderError({ kind: 'network', provider, endpoint, message: `network error${code ? ` ${code}` : ''}: ${e.message ?? String(err)}`, code, cause: err });
}

export class HttpCore {
  readonly provider: EndpointDef['provider'];
  readonly baseUrl: URL;
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly opts: HttpCoreOptions) {
    this.provider = opts.provider;
    this.baseUrl = new URL(opts.baseUrl);
    this.basePath = this.baseUrl.pathname.replace(/\/+$/, '');
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher =
      opts.dispatcher ??
      new Pool(this.baseUrl.origin, {
        connections: 16,
        keepAliveTimeout: 30_000,
        connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
        headersTimeout: opts.headersTimeoutMs ?? 60_000,
        bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
      });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** One request; resolves to the schema's output or throws a ProviderError. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    this.refuseIfCancelled(spec);
    const observation = this.observe(spec.endpoint);
    try {
      const value = await this.requestOnce(spec, observation);
      observation.finish();
      return value;
    } catch (err) {
      observation.finish(err);
      throw err;
    }
  }

  /** A server-sent event stream; non-2xx answers throw like `request`. The stream ends when the server closes it. */
  async *events<T>(spec: Omit<RequestSpec<T>, 'schema'>): AsyncGenerator<SseEvent> {
    this.refuseIfCancelled(spec);
    const observation = this.observe(spec.endpoint);
    try {
      yield* this.eventsOnce(spec, observation);
      observation.finish();
    } catch (err) {
      observation.finish(err);
      throw err;
    } finally {
      observation.finish(); // the consumer stopped reading early: the stream ended without an error
    }
  }

  /**
   * A call whose signal is already aborted (its activity was cancelled before it got here) sends nothing, so it
   * is no provider request: no span, no metric, only the cancelled error.
   */
  private refuseIfCancelled(spec: Pick<RequestSpec<unknown>, 'endpoint' | 'signal'>): void {
    if (spec.signal?.aborted) throw transportError(spec.signal.reason, this.provider, endpointLabel(spec.endpoint), spec.signal);
  }

  private observe(endpoint: EndpointDef): RequestObservation {
    return new RequestObservation(endpoint, this.baseUrl, this.opts.onRequestDone);
  }

  private async requestOnce<T>(spec: RequestSpec<T>, observation: RequestObservation): Promise<T> {
    const { label, path, response, started } = await this.send(spec, 'application/json');
    observation.status = response.statusCode;
    const text = await this.readText(response, label, spec.signal);
    this.log(label, path, response.statusCode, started);
    if (response.statusCode >= 400) throw this.httpError(spec, label, response, text);
    let value: unknown;
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text);
      } catch {
        throw new ProviderError({ kind: 'bad_response', provider: this.provider, endpoint: label, status: response.statusCode, message: `response is not valid JSON: ${text.slice(0, 80)}` });
      }
    }
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) {
      throw new ProviderError({
        kind: 'bad_response',
        provider: this.provider,
        endpoint: label,
        status: response.statusCode,
        message: `response does not match the documented shape: ${zodSummary(parsed.error)}`,
        details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    return parsed.data;
  }

  private async *eventsOnce<T>(spec: Omit<RequestSpec<T>, 'schema'>, observation: RequestObservation): AsyncGenerator<SseEvent> {
    const { label, path, response, started } = await this.send({ ...spec, schema: undefined as never }, 'text/event-stream');
    observation.status = response.statusCode;
    if (response.statusCode >= 400) {
      const text = await this.readText(response, label, spec.signal);
      this.log(label, path, response.statusCode, started);
      throw this.httpError(spec, label, response, text);
    }
    this.log(label, path, response.statusCode, started);
    try {
      for await (const ev of parseSse(response.body as AsyncIterable<Buffer>)) yield ev;
    } catch (err) {
      throw transportError(err, this.provider, label, spec.signal);
    } finally {
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  private async send(spec: RequestSpec<unknown>, accept: string) {
    const label = endpointLabel(spec.endpoint);
    const path = `${this.basePath}${fillPath(spec.endpoint.path, spec.params)}${buildQuery(spec.query)}`;
    const headers: Record<string, string> = {
      accept,
      'user-agent': this.opts.userAgent ?? USER_AGENT,
      ...this.opts.defaultHeaders,
      ...spec.headers,
      ...this.opts.authHeaders(),
    };
    let body: string | undefined;
    if (spec.rawBody) {
      headers['content-type'] = spec.rawBody.contentType;
      body = spec.rawBody.data;
    } else if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    const started = Date.now();
    try {
      const response = await this.dispatcher.request({
        origin: this.baseUrl.origin,
        path,
        method: spec.endpoint.method,
        headers,
        body,
        signal: spec.signal,
        ...(spec.bodyTimeoutMs !== undefined ? { bodyTimeout: spec.bodyTimeoutMs } : {}),
      });
      return { label, path, response, started };
    } catch (err) {
      const pe = transportError(err, this.provider, label, spec.signal);
      this.log(label, path, undefined, started, pe.message);
      throw pe;
    }
  }

  private async readText(response: Dispatcher.ResponseData, label: string, signal?: AbortSignal): Promise<string> {
    try {
      return await response.body.text();
    } catch (err) {
      throw transportError(err, this.provider, label, signal);
    }
  }

  private httpError(spec: Pick<RequestSpec<unknown>, 'endpoint'>, label: string, response: Dispatcher.ResponseData, text: string): ProviderError {
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const info = this.opts.parseErrorBody?.(response.statusCode, body, text) ?? {};
    const message = (info.message ?? (text.trim() || `HTTP ${response.statusCode}`)).slice(0, MAX_MESSAGE);
    return new ProviderError({
      kind: info.kind ?? kindForStatus(response.statusCode),
      provider: spec.endpoint.provider,
      endpoint: label,
      status: response.statusCode,
      code: info.code,
      message,
      retryable: info.retryable,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      details: info.details,
    });
  }

  private log(endpoint: string, path: string, status: number | undefined, started: number, error?: string): void {
    this.opts.onResponse?.({ provider: this.provider, endpoint, path: path.split('?')[0]!, status, durationMs: Date.now() - started, ...(error ? { error } : {}) });
  }
}
