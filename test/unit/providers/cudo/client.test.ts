// The client and callProvider against the sandbox over real sockets: every error class, cancellation, parsing.
import { ProviderError } from '../../../../src/providers/http/errors';
import { CudoClient } from '../../../../src/providers/cudo/client';
import { BOOT_MS, detailsOf, failureOf, manualClock, startCudo, vmBody } from './helpers';

const GET_VM = 'GET /v1/projects/{projectId}/vms/{id}';
const CREATE_VM = 'POST /v1/projects/{projectId}/vm';

describe('CUDO client error taxonomy', () => {
  const mc = manualClock();
  let env: Awaited<ReturnType<typeof startCudo>>;
  beforeAll(async () => {
    env = await startCudo({ clock: mc.clock });
    await env.client.createVm(vmBody('base-vm'));
    mc.advance(BOOT_MS);
  });
  afterAll(() => env.close());
  afterEach(() => env.sb.server.faults.clear());

  test('sends bearer auth in the path-scoped project; a wrong key is 401 code 16, non-retryable, key not leaked', async () => {
    const bad = new CudoClient({ baseUrl: env.url, apiKey: 'wrong-secret-key-123', projectId: env.sb.projectId });
    const { createCudoActivities } = await import('../../../../src/activities/cudo');
    const f = await failureOf(createCudoActivities(bad).cudoCountVms());
    await bad.close();
    expect(f.type).toBe('ProviderAuth');
    expect(f.nonRetryable).toBe(true);
    expect(detailsOf(f)).toMatchObject({ kind: 'auth', status: 401, code: 'UNAUTHENTICATED', endpoint: 'GET /v1/projects/{projectId}/count-vms' });
    expect(JSON.stringify([f.message, f.details])).not.toContain('wrong-secret-key-123');
    expect(env.sb.server.calls('cudoCountVms').at(-1)?.status).toBe(401);
  });

  test('another project is 403 code 7 (auth)', async () => {
    const other = new CudoClient({ baseUrl: env.url, apiKey: env.sb.apiKey, projectId: 'someone-else' });
    const err = (await other.countVms().catch((e: unknown) => e)) as ProviderError;
    await other.close();
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'auth', status: 403, code: 'PERMISSION_DENIED' });
  });

  test('not found: 404 code 5 → ProviderNotFound, non-retryable', async () => {
    const f = await failureOf(env.activities.cudoGetVm({ id: 'nope' }));
    expect(f.type).toBe('ProviderNotFound');
    expect(f.nonRetryable).toBe(true);
    expect(detailsOf(f)).toMatchObject({ status: 404, code: 'NOT_FOUND', endpoint: GET_VM });
  });

  test('conflict: duplicate vmId is 409 code 6 → ProviderConflict', async () => {
    const f = await failureOf(env.activities.cudoCreateVm(vmBody('base-vm', { metadata: { 'workflow-id': 'someone-else' } })));
    expect(f.type).toBe('ProviderConflict');
    expect(f.nonRetryable).toBe(true);
    expect(detailsOf(f)).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    expect(f.message).toContain('A VM with that id already exists');
  });

  test('invalid request: server-side 400 code 3, and client-side validation before sending', async () => {
    const f = await failureOf(env.activities.cudoCreateVm(vmBody('bad-dc', { dataCenterId: 'xx-nowhere-1' })));
    expect(f.type).toBe('ProviderInvalidRequest');
    expect(detailsOf(f)).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
    const before = env.sb.server.calls('cudoCreateVm').length;
    const err = (await env.client.createVm({ ...vmBody('Bad_Id'), password: 'hunter2-secret' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'invalid_request', endpoint: CREATE_VM });
    expect(err.message).toMatch(/vmId/);
    expect(env.sb.server.calls('cudoCreateVm').length).toBe(before); // never sent
    const pw = (await env.client.createVm({ ...vmBody('ok-id'), password: 'abc' }).catch((e: unknown) => e)) as ProviderError;
    expect(pw.message).toMatch(/password/);
    expect(pw.message).not.toContain('abc"');
  });

  test('wrong state: 400 code 9 → conflict', async () => {
    const err = (await env.client.startVm({ id: 'base-vm' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'conflict', status: 400, code: 'FAILED_PRECONDITION' });
  });

  test('capacity: "no hosts available" (400 code 3) → ProviderCapacity, retryable', async () => {
    env.sb.setCapacity('gb-bournemouth-1', 'epyc-milan', { maxVcpuFree: 1 });
    const f = await failureOf(env.activities.cudoCreateVm(vmBody('too-big')));
    env.sb.setCapacity('gb-bournemouth-1', 'epyc-milan', { maxVcpuFree: 64 });
    expect(f.type).toBe('ProviderCapacity');
    expect(f.nonRetryable).toBe(false);
    expect(detailsOf(f)).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
  });

  test('rate limit with Retry-After in seconds → retryable with nextRetryDelay', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoListVms', fault: { type: 'status', status: 429, retryAfter: 7, body: { code: 8, message: 'too many requests', details: [] } } });
    const f = await failureOf(env.activities.cudoListVms());
    expect(f.type).toBe('ProviderRateLimited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(7000);
    expect(detailsOf(f)).toMatchObject({ code: 'RESOURCE_EXHAUSTED', retryAfterMs: 7000 });
  });

  test('rate limit with Retry-After as an HTTP date → nextRetryDelay from the date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    env.sb.server.faults.add({ endpoint: 'cudoListVms', fault: { type: 'status', status: 429, retryAfter: at, body: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down' } } });
    const f = await failureOf(env.activities.cudoListVms());
    expect(f.nonRetryable).toBe(false);
    expect(typeof f.nextRetryDelay).toBe('number');
    expect(f.nextRetryDelay as number).toBeGreaterThan(25_000);
    expect(f.nextRetryDelay as number).toBeLessThanOrEqual(30_000);
  });

  test('a quota (429 + QuotaFailure) does not retry', async () => {
    env.sb.server.faults.add({
      endpoint: 'cudoCreateVm',
      fault: { type: 'status', status: 429, body: { code: 8, message: 'vCPU quota exceeded', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ subject: 'vcpu' }] }] } },
    });
    const f = await failureOf(env.activities.cudoCreateVm(vmBody('quota-vm')));
    expect(f.type).toBe('ProviderCapacity');
    expect(f.nonRetryable).toBe(true);
  });

  test('5xx is retryable: 503 code 14', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoGetVm', fault: { type: 'status', status: 503, body: { code: 14, message: 'upstream connect error' } } });
    const f = await failureOf(env.activities.cudoGetVm({ id: 'base-vm' }));
    expect(f.type).toBe('ProviderServer');
    expect(f.nonRetryable).toBe(false);
    expect(detailsOf(f)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  });

  test('malformed JSON on 200 → non-retryable bad_response naming the endpoint', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoGetVm', fault: { type: 'malformed' } });
    const f = await failureOf(env.activities.cudoGetVm({ id: 'base-vm' }));
    expect(f.type).toBe('ProviderBadResponse');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(GET_VM);
  });

  test('a response missing a required field → error naming endpoint and field', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoGetVm', fault: { type: 'status', status: 200, body: { vm: { id: 'base-vm' }, totalPriceHr: { value: '1' } } } });
    const err = (await env.client.getVm({ id: 'base-vm' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'bad_response', endpoint: GET_VM });
    expect(err.message).toMatch(/VM/);
    env.sb.server.faults.add({ endpoint: 'cudoCreateVm', fault: { type: 'status', status: 200, body: { vm: { id: 'x' } } } });
    const err2 = (await env.client.createVm(vmBody('no-id-answer')).catch((e: unknown) => e)) as ProviderError;
    expect(err2).toMatchObject({ kind: 'bad_response', endpoint: CREATE_VM });
    expect(err2.message).toMatch(/\bid\b/);
  });

  test('unknown response fields are kept', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoCountVms', fault: { type: 'status', status: 200, body: { count: '3', countVmAvailable: 7 } } });
    const r = await env.activities.cudoCountVms();
    expect(r).toEqual({ count: 3, countVmAvailable: 7 });
  });

  test('cancellation: an AbortSignal aborts a slow request (latency fault) → cancelled', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoListVms', fault: { type: 'latency', ms: 5_000 } });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const err = (await env.client.listVms({}, { signal: ac.signal }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test('a connection reset is a retryable network error', async () => {
    env.sb.server.faults.add({ endpoint: 'cudoListGpuModels', fault: { type: 'reset' } });
    const f = await failureOf(env.activities.cudoListGpuModels());
    expect(f.type).toBe('ProviderNetwork');
    expect(f.nonRetryable).toBe(false);
  });

  test('unknown route is 404 code 5; a known path with another method is 405 code 12', async () => {
    const r1 = await fetch(`${env.url}/v1/projects/${env.sb.projectId}/nothing`, { headers: { authorization: `bearer ${env.sb.apiKey}` } });
    expect(r1.status).toBe(404);
    expect(await r1.json()).toEqual({ code: 5, message: 'Not Found', details: [] });
    const r2 = await fetch(`${env.url}/v1/projects/${env.sb.projectId}/vms/base-vm`, { method: 'DELETE', headers: { authorization: `bearer ${env.sb.apiKey}` } });
    expect(r2.status).toBe(405);
    expect(((await r2.json()) as { code: number }).code).toBe(12);
  });

  test('lowercase or capital Bearer both work; a missing header is 401 with the gateway body', async () => {
    const path = `${env.url}/v1/projects/${env.sb.projectId}/count-vms`;
    expect((await fetch(path, { headers: { authorization: `Bearer ${env.sb.apiKey}` } })).status).toBe(200);
    const r = await fetch(path);
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ code: 16, details: [] });
  });

  test('onResponse logs carry no key', async () => {
    const logs: unknown[] = [];
    const c = new CudoClient({ baseUrl: env.url, apiKey: env.sb.apiKey, projectId: env.sb.projectId, onResponse: (l) => logs.push(l) });
    await c.countVms();
    await c.close();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ provider: 'cudo', endpoint: 'GET /v1/projects/{projectId}/count-vms', status: 200, path: `/v1/projects/${env.sb.projectId}/count-vms` });
    expect(JSON.stringify(logs)).not.toContain(env.sb.apiKey);
  });
});
