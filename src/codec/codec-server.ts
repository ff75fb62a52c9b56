// Temporal's remote codec protocol over HTTP(S), for the Temporal UI and the `temporal` CLI (--codec-endpoint):
// POST …/encode and …/decode with `{"payloads":[{"metadata":{k: base64}, "data": base64}]}`, answered in the same
// form. Browsers are let in only from the configured UI origins (CORS, preflight included); every request needs
// the bearer token or a client certificate (mTLS) unless the server listens on loopback only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { CodecDecodeError } from './payload-codec';

export const DEFAULT_CODEC_SERVER_PORT = 8234;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** What the Temporal UI sends with a codec request (X-Namespace always, Authorization with "pass access token"). */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  /** Browser origins allowed by CORS, e.g. http://localhost:8233 or https://cloud.temporal.io. */
  allowedOrigins: string[];
  /** Requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Serve HTTPS; with `clientCa`, every client must present a certificate it signed (mTLS). */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Listen beyond loopback without a token or mTLS: only behind a proxy that authenticates, or a host-loopback port. */
  allowUnauthenticated?: boolean;
  log?: (fields: Record<string, unknown>, message: string) => void;
}

export interface RunningCodecServer {
  url: string;
  auth: 'token' | 'mtls' | 'token+mtls' | 'none (loopback)' | 'none (allowed explicitly)';
  close(): Promise<void>;
}

export class CodecServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecServerConfigError';
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
export const isLoopback = (host: string) => LOOPBACK.test(host.replace(/^\[|\]$/g, ''));

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const requestSchema = z.object(
  {
    payloads: z.array(
      z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }, { message: 'expected a payload object { metadata, data }' }),
      { message: 'expected a list of payloads' },
    ),
  },
  { message: 'expected {"payloads": [...]}' },
);

const toPayload = (p: z.infer<typeof requestSchema>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of the presented bearer token with the configured one. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1]?.trim() ?? ''), digest(token)) && m !== null;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const mtls = Boolean(opts.tls?.clientCa);
  if (!opts.token && !mtls && !isLoopback(opts.host) && !opts.allowUnauthenticated) {
    throw new CodecServerConfigError(
      `codec server on ${opts.host} would decrypt for anyone who reaches it: set a bearer token (CVMFLOW_CODEC_SERVER_TOKEN_FILE) or mTLS (CVMFLOW_CODEC_SERVER_TLS_CERT_FILE, _KEY_FILE and _CLIENT_CA_FILE), or listen on 127.0.0.1 (CVMFLOW_CODEC_SERVER_ALLOW_UNAUTHENTICATED=true only behind a proxy that authenticates)`,
    );
  }
  const origins = new Set(opts.allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  const log = opts.log ?? (() => undefined);

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(origin)) return (send(res, 403, { error: `origin ${origin} is not allowed (CVMFLOW_CODEC_SERVER_UI_ORIGINS)` }), 403);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const op = /\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname)?.[1] as 'encode' | 'decode' | undefined;
    if (req.method === 'OPTIONS') {
      // Preflight: browsers send no credentials here; the real request is checked below.
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      return (send(res, op ? 204 : 404), op ? 204 : 404);
    }
    if (!op) return (send(res, 404, { error: 'not found: POST …/encode or …/decode' }), 404);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return (send(res, 405, { error: 'method not allowed: use POST' }), 405);
    }
    if (mtls && !(req.socket as TLSSocket).authorized) return (send(res, 401, { error: 'a client certificate signed by the configured CA is required' }), 401);
    if (opts.token && !tokenMatches(req.headers.authorization, opts.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="cvmflow-codec"');
      return (send(res, 401, { error: 'missing or wrong bearer token' }), 401);
    }
    const body = await readBody(req);
    if (body === 'too-large') return (send(res, 413, { error: `request body over ${MAX_BODY_BYTES} bytes` }), 413);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return (send(res, 400, { error: 'request body is not JSON: expected {"payloads": [...]}' }), 400);
    }
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return (send(res, 400, { error: `${issue.path.join('.') || 'body'}: ${issue.message}` }), 400);
    }
    try {
      const payloads = parsed.data.payloads.map(toPayload);
      const out = op === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
      return (send(res, 200, { payloads: out.map(fromPayload) }), 200);
    } catch (err) {
      if (err instanceof CodecDecodeError) return (send(res, 422, { error: err.message }), 422);
      throw err;
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    handle(req, res).then(
      (status) => log({ method: req.method, path: req.url, status, origin: req.headers.origin, namespace: req.headers['x-namespace'], ms: Date.now() - started }, 'codec request'),
      (err: unknown) => {
        log({ method: req.method, path: req.url, err: (err as Error).message }, 'codec request failed');
        if (!res.headersSent) send(res, 500, { error: 'codec failure' });
      },
    );
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...(mtls ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new CodecServerConfigError(`codec server port ${opts.port} on ${opts.host} is already in use: choose another port`) : err),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const auth = opts.token && mtls ? 'token+mtls' : opts.token ? 'token' : mtls ? 'mtls' : isLoopback(opts.host) ? 'none (loopback)' : 'none (allowed explicitly)';
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    auth,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
