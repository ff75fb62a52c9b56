// A small HTTP server for provider simulators: endpoint routes, auth, JSON, SSE, fault injection,
// a request log and an admin API under /_sandbox/.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpointLabel, type EndpointDef } from '../../providers/http/endpoint';
import { SandboxClock } from './clock';
import { FaultRuleSchema, FaultTable, type Fault } from './faults';

export interface SandboxRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  rawBody: string;
}

export interface SandboxResponse {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** Streams server-sent events; `send` resolves false once the client is gone or a fault cut the stream. */
export interface SseWriter {
  send(event: string, data: unknown): boolean;
  close(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;
export type SseHandler = (req: SandboxRequest, sse: SseWriter) => void | Promise<void>;

interface Route {
  endpoint: Pick<EndpointDef, 'method' | 'path' | 'activity'>;
  pattern: RegExp;
  names: string[];
  handler?: Handler;
  sse?: SseHandler;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  endpoint: string;
  activity: string;
  status: number;
  fault?: Fault['type'];
}

export interface SandboxServerOptions {
  name: string;
  /** Path prefix every route sits under (e.g. `/api/v1`). */
  basePath?: string;
  /** Returns an error response when the request is not authorised. */
  authenticate?: (req: SandboxRequest) => SandboxResponse | undefined;
  /** The provider's 404 for an unknown route. */
  notFound?: (req: SandboxRequest) => SandboxResponse;
  clock?: SandboxClock;
  /** Extra admin routes (`/_sandbox/<name>`) a simulator adds for tests. */
  admin?: Record<string, (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>>;
}

function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const re = path
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${re}$`), names };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class SandboxServer {
  readonly faults = new FaultTable();
  readonly clock: SandboxClock;
  readonly requests: RequestLogEntry[] = [];
  private readonly routes: Route[] = [];
  private server?: Server;
  private readonly basePath: string;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly opts: SandboxServerOptions) {
    this.clock = opts.clock ?? new SandboxClock();
    this.basePath = (opts.basePath ?? '').replace(/\/+$/, '');
  }

  route(endpoint: Route['endpoint'], handler: Handler): this {
    this.routes.push({ endpoint, ...compile(endpoint.path), handler });
    return this;
  }

  sseRoute(endpoint: Route['endpoint'], handler: SseHandler): this {
    this.routes.push({ endpoint, ...compile(endpoint.path), sse: handler });
    return this;
  }

  /** Requests that reached an endpoint (by activity name or label), for tests that count calls. */
  calls(endpoint: string): RequestLogEntry[] {
    return this.requests.filter((r) => r.activity === endpoint || r.endpoint === endpoint);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'sandbox internal error', detail: String((err as Error)?.message ?? err) }));
        } else res.destroy();
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error(`${this.opts.name} sandbox is not listening`);
    return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}${this.basePath}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const rawBody = await readBody(req);
    let body: unknown;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const base: Omit<SandboxRequest, 'params' | 'path'> = { method: req.method ?? 'GET', query: url.searchParams, headers: req.headers, body, rawBody };

    if (url.pathname.startsWith('/_sandbox/')) return this.handleAdmin(url.pathname.slice('/_sandbox/'.length), { ...base, path: url.pathname, params: {} }, res);

    if (!url.pathname.startsWith(this.basePath)) return this.write(res, this.notFound({ ...base, path: url.pathname, params: {} }));
    const path = url.pathname.slice(this.basePath.length) || '/';
    let match: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.endpoint.method !== base.method) continue;
      const m = route.pattern.exec(path);
      if (m) {
        match = { route, params: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
        break;
      }
    }
    const sreq: SandboxRequest = { ...base, path, params: match?.params ?? {} };
    if (!match) return this.write(res, this.notFound(sreq));
    const { route } = match;
    const label = endpointLabel(route.endpoint);
    const logEntry: RequestLogEntry = { at: new Date().toISOString(), method: base.method, path, endpoint: label, activity: route.endpoint.activity, status: 0 };
    this.requests.push(logEntry);
    if (this.requests.length > 10_000) this.requests.splice(0, 1_000);

    const denied = this.opts.authenticate?.(sreq);
    if (denied) return this.write(res, denied, logEntry);

    const fault = this.faults.take(label, route.endpoint.activity);
    if (fault) logEntry.fault = fault.type;
    if (fault?.type === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.type === 'reset') {
      logEntry.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      return this.write(res, { status: fault.status, json: fault.body ?? { error: `injected fault: HTTP ${fault.status}` }, headers }, logEntry);
    }
    if (fault?.type === 'malformed') return this.write(res, { status: 200, text: '{"truncated": tr', headers: { 'content-type': 'application/json' } }, logEntry);

    if (route.sse) return this.stream(route.sse, sreq, res, logEntry, fault?.type === 'drop-stream' ? fault.afterEvents : undefined);
    const answer = await route.handler!(sreq);
    if (fault?.type === 'after') return this.write(res, { status: fault.status, json: fault.body ?? { error: `injected fault after handling: HTTP ${fault.status}` } }, logEntry);
    return this.write(res, answer, logEntry);
  }

  private async stream(handler: SseHandler, req: SandboxRequest, res: ServerResponse, logEntry: RequestLogEntry, dropAfter?: number): Promise<void> {
    logEntry.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    let closed = false;
    let sent = 0;
    const closers: Array<() => void> = [];
    const markClosed = () => {
      if (closed) return;
      closed = true;
      for (const fn of closers) fn();
    };
    res.on('close', markClosed);
    const writer: SseWriter = {
      send(event, data) {
        if (closed) return false;
        if (dropAfter !== undefined && sent >= dropAfter) {
          res.destroy(); // the connection drops mid-stream, as a proxy or the provider might
          markClosed();
          return false;
        }
        res.write(`event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
        sent += 1;
        return true;
      },
      close() {
        if (!closed) res.end();
        markClosed();
      },
      get closed() {
        return closed;
      },
      onClose(fn) {
        closers.push(fn);
      },
    };
    await handler(req, writer);
  }

  private notFound(req: SandboxRequest): SandboxResponse {
    return this.opts.notFound?.(req) ?? { status: 404, json: { error: 'not found', path: req.path } };
  }

  private async handleAdmin(name: string, req: SandboxRequest, res: ServerResponse): Promise<void> {
    if (name === 'faults' && req.method === 'POST') {
      const rules = Array.isArray(req.body) ? req.body : [req.body];
      for (const r of rules) {
        const parsed = FaultRuleSchema.safeParse(r);
        if (!parsed.success) return this.write(res, { status: 400, json: { error: 'invalid fault rule', issues: parsed.error.issues } });
        this.faults.add(parsed.data);
      }
      return this.write(res, { status: 200, json: { faults: this.faults.list() } });
    }
    if (name === 'faults' && req.method === 'GET') return this.write(res, { status: 200, json: { faults: this.faults.list() } });
    if (name === 'faults' && req.method === 'DELETE') {
      this.faults.clear();
      return this.write(res, { status: 200, json: { faults: [] } });
    }
    if (name === 'requests' && req.method === 'GET') return this.write(res, { status: 200, json: { requests: this.requests } });
    if (name === 'speed' && req.method === 'POST') {
      const speed = Number((req.body as { speed?: unknown })?.speed);
      if (!(speed > 0)) return this.write(res, { status: 400, json: { error: 'speed must be a positive number' } });
      this.clock.speed = speed;
      return this.write(res, { status: 200, json: { speed } });
    }
    const extra = this.opts.admin?.[name];
    if (extra) return this.write(res, await extra(req));
    return this.write(res, { status: 404, json: { error: `unknown sandbox admin route ${name}` } });
  }

  private write(res: ServerResponse, answer: SandboxResponse, logEntry?: RequestLogEntry): void {
    if (logEntry) logEntry.status = answer.status;
    const headers: Record<string, string> = { ...answer.headers };
    let payload: string | undefined;
    if (answer.text !== undefined) {
      payload = answer.text;
      headers['content-type'] ??= 'text/plain';
    } else if (answer.json !== undefined) {
      payload = JSON.stringify(answer.json);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(answer.status, headers);
    res.end(payload);
  }
}
