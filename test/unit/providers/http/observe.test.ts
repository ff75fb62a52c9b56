// What the HTTP core reports about each request: one `onRequestDone` per request with the endpoint template
// (never the filled-in path), status and error kind, and one client span per request once a tracer provider
// is registered (none before: the API's no-op tracer).
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { HttpCore } from '../../../../src/providers/http/core';
import type { EndpointDef } from '../../../../src/providers/http/endpoint';
import type { RequestDone } from '../../../../src/providers/http/observe';
import { SandboxServer } from '../../../../src/sandbox/http/server';

const getVm: EndpointDef = { provider: 'cudo', method: 'GET', path: '/vms/{id}', activity: 'testGetVm', summary: 'get' };
const watchVm: EndpointDef = { provider: 'cudo', method: 'GET', path: '/vms/{id}/watch', activity: 'testWatchVm', summary: 'watch' };
const Vm = z.object({ id: z.string(), state: z.string() });

let server: SandboxServer;
let core: HttpCore;
let done: RequestDone[] = [];
const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

beforeAll(async () => {
  server = new SandboxServer({ name: 'observe', basePath: '/v1', authenticate: () => undefined });
  server.route(getVm, (req) => {
    if (req.params.id === 'gone') return { status: 404, json: { message: 'no such VM' } };
    if (req.params.id === 'odd') return { status: 200, json: { id: 'odd' } };
    return { status: 200, json: { id: req.params.id, state: 'ACTIVE' } };
  });
  server.sseRoute(watchVm, async (_req, sse) => {
    for (let i = 0; i < 3; i++) sse.send('state', { n: i });
    sse.close();
  });
  core = new HttpCore({ provider: 'cudo', baseUrl: await server.listen(), authHeaders: () => ({}), onRequestDone: (d) => done.push(d) });
});
afterAll(async () => {
  await core.close();
  await server.close();
  await provider.shutdown();
});
beforeEach(() => {
  done = [];
  spans.reset();
});

const get = (id: string) => core.request({ endpoint: getVm, params: { id }, schema: Vm });

test('a success is reported once, by endpoint template, never by the path with its id', async () => {
  await get('vm-4711');
  expect(done).toEqual([{ provider: 'cudo', endpoint: 'GET /vms/{id}', method: 'GET', status: 200, errorKind: undefined, durationMs: expect.any(Number) }]);
  expect(JSON.stringify(done)).not.toContain('vm-4711');
});

test('an HTTP error carries its status and kind; a 2xx that breaks the contract is a bad_response', async () => {
  await expect(get('gone')).rejects.toMatchObject({ kind: 'not_found' });
  await expect(get('odd')).rejects.toMatchObject({ kind: 'bad_response' });
  expect(done.map((d) => [d.status, d.errorKind])).toEqual([
    [404, 'not_found'],
    [200, 'bad_response'],
  ]);
});

test('no response at all: no status, the transport kind', async () => {
  const dead = new HttpCore({ provider: 'cudo', baseUrl: 'http://127.0.0.1:9', authHeaders: () => ({}), onRequestDone: (d) => done.push(d) });
  await expect(dead.request({ endpoint: getVm, params: { id: 'x' }, schema: Vm })).rejects.toMatchObject({ kind: 'network' });
  await dead.close();
  expect(done).toMatchObject([{ endpoint: 'GET /vms/{id}', status: undefined, errorKind: 'network' }]);
});

test('a call already cancelled sends nothing and is no request: cancelled error, no report, nothing served', async () => {
  const before = server.requests.length;
  const gone = AbortSignal.abort();
  await expect(core.request({ endpoint: getVm, params: { id: 'vm-1' }, schema: Vm, signal: gone })).rejects.toMatchObject({ kind: 'cancelled' });
  const stream = core.events({ endpoint: watchVm, params: { id: 'vm-1' }, signal: gone });
  await expect(stream.next()).rejects.toMatchObject({ kind: 'cancelled' });
  expect([done, server.requests.length - before]).toEqual([[], 0]);
  // cancelled in flight: it was sent, so it is reported (no status, kind cancelled)
  const inFlight = new AbortController();
  const call = core.request({ endpoint: getVm, params: { id: 'vm-2' }, schema: Vm, signal: inFlight.signal });
  inFlight.abort();
  await expect(call).rejects.toMatchObject({ kind: 'cancelled' });
  expect(done).toMatchObject([{ endpoint: 'GET /vms/{id}', status: undefined, errorKind: 'cancelled' }]);
});

test('a stream is one request, reported when it ends, also when the reader stops early', async () => {
  const events: string[] = [];
  for await (const ev of core.events({ endpoint: watchVm, params: { id: 'vm-1' } })) events.push(ev.data);
  expect(events).toHaveLength(3);
  for await (const _ev of core.events({ endpoint: watchVm, params: { id: 'vm-1' } })) break;
  expect(done.map((d) => [d.endpoint, d.status, d.errorKind])).toEqual([
    ['GET /vms/{id}/watch', 200, undefined],
    ['GET /vms/{id}/watch', 200, undefined],
  ]);
});

test('an observer that throws does not fail the request', async () => {
  const touchy = new HttpCore({ provider: 'cudo', baseUrl: core.baseUrl.toString(), authHeaders: () => ({}), onRequestDone: () => { throw new Error('observer bug'); } });
  await expect(touchy.request({ endpoint: getVm, params: { id: 'vm-2' }, schema: Vm })).resolves.toEqual({ id: 'vm-2', state: 'ACTIVE' });
  await touchy.close();
});

test('spans: none without a tracer provider; with one, a client span per request named by the template', async () => {
  expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  await get('vm-1');
  expect(spans.getFinishedSpans()).toHaveLength(0);

  trace.setGlobalTracerProvider(provider);
  try {
    await get('vm-5');
    await expect(get('gone')).rejects.toMatchObject({ kind: 'not_found' });
  } finally {
    trace.disable();
  }
  const finished = spans.getFinishedSpans();
  expect(finished.map((s) => [s.name, s.attributes['http.response.status_code'], s.attributes['error.type'] ?? null])).toEqual([
    ['GET /vms/{id}', 200, null],
    ['GET /vms/{id}', 404, 'not_found'],
  ]);
  expect(finished[0]!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.template': '/vms/{id}', 'server.address': '127.0.0.1', 'cvmflow.provider': 'cudo' });
  expect(JSON.stringify(finished.map((s) => s.attributes))).not.toContain('vm-5');
});
