// The shared HTTP core against a real local server: shapes, every error class, Retry-After, cancellation, SSE.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { providerFailure } from '../../../../src/activities/provider-failure';
import { HttpCore, type ResponseLog } from '../../../../src/providers/http/core';
import type { EndpointDef } from '../../../../src/providers/http/endpoint';
import { ProviderError } from '../../../../src/providers/http/errors';
import { parseRetryAfter } from '../../../../src/providers/http/retry-after';
import { SandboxServer } from '../../../../src/sandbox/http/server';

const getThing: EndpointDef = { provider: 'phala', method: 'GET', path: '/things/{id}', activity: 'testGetThing', summary: 'get' };
const watch: EndpointDef = { provider: 'phala', method: 'GET', path: '/things/{id}/watch', activity: 'testWatch', summary: 'watch' };
const Thing = z.looseObject({ id: z.string(), status: z.string() });
const SECRET = 'sk-very-secret-123';

let server: SandboxServer;
let core: HttpCore;
const logs: ResponseLog[] = [];

beforeAll(async () => {
  server = new SandboxServer({
    name: 'test',
    basePath: '/api/v1',
    authenticate: (req) => (req.headers['x-api-key'] === SECRET ? undefined : { status: 401, json: { detail: 'Invalid API key' } }),
  });
  server.route(getThing, (req) => {
    if (req.params.id === 'missing') return { status: 404, json: { detail: 'CVM not found' } };
    if (req.params.id === 'partial') return { status: 200, json: { id: 'partial' } };
    if (req.params.id === 'slow') return new Promise((r) => setTimeout(() => r({ status: 200, json: { id: 'slow', status: 'ok' } }), 1500));
    return { status: 200, json: { id: req.params.id, status: 'running', extra_field: { nested: true }, q: req.query.get('q') } };
  });
  server.sseRoute(watch, async (_req, sse) => {
    for (let i = 0; i < 3; i++) {
      sse.send('state', { n: i });
      await new Promise((r) => setTimeout(r, 10));
    }
    sse.send('complete', { done: true });
    sse.close();
  });
  const url = await server.listen();
  core = new HttpCore({
    provider: 'phala',
    baseUrl: url,
    authHeaders: () => ({ 'x-api-key': SECRET }),
    headersTimeoutMs: 1000,
    parseErrorBody: (_status, body) => ({ message: (body as { detail?: string } | undefined)?.detail }),
    onResponse: (l) => logs.push(l),
  });
});
afterAll(async () => {
  await core.close();
  await server.close();
});
beforeEach(() => server.faults.clear());

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the request to fail');
}

test('parses the body, keeps unknown fields and encodes path and query', async () => {
  const thing = await core.request({ endpoint: getThing, params: { id: 'a b' }, query: { q: 'x&y', none: undefined }, schema: Thing });
  expect(thing).toEqual({ id: 'a b', status: 'running', extra_field: { nested: true }, q: 'x&y' });
  expect(server.calls('testGetThing').at(-1)!.path).toBe('/things/a%20b');
});

test('a missing required field fails as bad_response naming the endpoint and the field', async () => {
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'partial' }, schema: Thing }));
  expect(err.kind).toBe('bad_response');
  expect(err.retryable).toBe(false);
  expect(err.message).toContain('phala GET /things/{id}');
  expect(err.message).toContain('status:');
});

test('malformed JSON is a non-retryable bad_response', async () => {
  server.faults.add({ endpoint: 'testGetThing', fault: { type: 'malformed' } });
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  expect(err).toMatchObject({ kind: 'bad_response', retryable: false, status: 200 });
  expect(err.message).toMatch(/not valid JSON/);
});

test.each([
  [400, 'invalid_request', false],
  [409, 'conflict', false],
  [422, 'invalid_request', false],
  [500, 'server', true],
  [503, 'server', true],
  [408, 'timeout', true],
])('HTTP %i is %s (retryable %s)', async (status, kind, retryable) => {
  server.faults.add({ endpoint: 'GET /things/{id}', fault: { type: 'status', status, body: { detail: `boom ${status}` } } });
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  expect(err).toMatchObject({ kind, retryable, status, provider: 'phala', endpoint: 'GET /things/{id}' });
  expect(err.message).toContain(`boom ${status}`);
});

test('not found and auth errors are non-retryable and never carry the key', async () => {
  const nf = await failure(core.request({ endpoint: getThing, params: { id: 'missing' }, schema: Thing }));
  expect(nf).toMatchObject({ kind: 'not_found', retryable: false, status: 404 });
  const bad = new HttpCore({ provider: 'phala', baseUrl: server.url, authHeaders: () => ({ 'x-api-key': 'wrong-key-xyz' }) });
  const auth = await failure(bad.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  await bad.close();
  expect(auth).toMatchObject({ kind: 'auth', retryable: false, status: 401 });
  expect(JSON.stringify({ m: auth.message, d: auth.details })).not.toContain('wrong-key-xyz');
  expect(JSON.stringify(logs)).not.toContain(SECRET);
});

test('429 with Retry-After in seconds becomes a retryable failure with nextRetryDelay', async () => {
  server.faults.add({ endpoint: 'testGetThing', fault: { type: 'status', status: 429, retryAfter: 7, body: { detail: 'slow down' } } });
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  expect(err).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7000 });
  const f = providerFailure(err);
  expect(f).toBeInstanceOf(ApplicationFailure);
  expect(f).toMatchObject({ type: 'ProviderRateLimited', nonRetryable: false, nextRetryDelay: 7000 });
  expect(f.details?.[0]).toMatchObject({ provider: 'phala', endpoint: 'GET /things/{id}', status: 429, retryAfterMs: 7000 });
});

test('Retry-After as an HTTP date', async () => {
  const at = new Date(Date.now() + 30_000).toUTCString();
  server.faults.add({ endpoint: 'testGetThing', fault: { type: 'status', status: 503, retryAfter: at } });
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  expect(err.retryAfterMs).toBeGreaterThan(25_000);
  expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60_000);
  expect(parseRetryAfter('soon')).toBeUndefined();
  expect(parseRetryAfter(undefined)).toBeUndefined();
});

test('non-retryable errors map to non-retryable failures without nextRetryDelay', () => {
  const f = providerFailure(new ProviderError({ kind: 'not_found', provider: 'cudo', endpoint: 'GET /v1/projects/{projectId}/vms/{id}', status: 404, message: 'vm not found', retryAfterMs: 5000 }));
  expect(f).toMatchObject({ type: 'ProviderNotFound', nonRetryable: true });
  expect(f.nextRetryDelay).toBeUndefined();
});

test('a reset connection is a retryable network error', async () => {
  server.faults.add({ endpoint: 'testGetThing', fault: { type: 'reset' } });
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  expect(err).toMatchObject({ kind: 'network', retryable: true });
});

test('a refused connection is a retryable network error', async () => {
  const dead = new HttpCore({ provider: 'cudo', baseUrl: 'http://127.0.0.1:9', authHeaders: () => ({}) });
  const err = await failure(dead.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing }));
  await dead.close();
  expect(err).toMatchObject({ kind: 'network', retryable: true });
  expect(err.message).toMatch(/ECONNREFUSED/);
});

test('no headers before the timeout is a retryable timeout', async () => {
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'slow' }, schema: Thing }));
  expect(err).toMatchObject({ kind: 'timeout', retryable: true });
});

test('cancellation aborts a slow request', async () => {
  server.faults.add({ endpoint: 'testGetThing', fault: { type: 'latency', ms: 5000 } });
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 100);
  const err = await failure(core.request({ endpoint: getThing, params: { id: 'x' }, schema: Thing, signal: ac.signal }));
  expect(err).toMatchObject({ kind: 'cancelled', retryable: false });
  expect(Date.now() - started).toBeLessThan(2000);
});

test('server-sent events arrive in order, and a dropped stream ends early', async () => {
  const all = [];
  for await (const ev of core.events({ endpoint: watch, params: { id: 'x' } })) all.push(ev);
  expect(all.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
    ['state', { n: 0 }],
    ['state', { n: 1 }],
    ['state', { n: 2 }],
    ['complete', { done: true }],
  ]);
  server.faults.add({ endpoint: 'testWatch', fault: { type: 'drop-stream', afterEvents: 1 } });
  const partial: string[] = [];
  try {
    for await (const ev of core.events({ endpoint: watch, params: { id: 'x' } })) partial.push(ev.event);
  } catch (err) {
    expect((err as ProviderError).kind).toBe('network');
  }
  expect(partial).toEqual(['state']);
});

test('the response log names endpoint, path and status but no headers', () => {
  const entry = logs.find((l) => l.status === 200)!;
  expect(entry).toMatchObject({ provider: 'phala', endpoint: 'GET /things/{id}' });
  expect(Object.keys(entry).sort()).toEqual(['durationMs', 'endpoint', 'path', 'provider', 'status']);
});
