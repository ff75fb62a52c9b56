// The real client against the sandbox over sockets: auth, version pinning, shapes, and every error class.
import { createPhalaActivities } from '../../../../src/activities/phala';
import { PhalaClient } from '../../../../src/providers/phala/client';
import { appFailure, createCvm, provisionBody, providerError, raw, startRig, type Rig } from './helpers';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());
beforeEach(() => {
  rig.sandbox.server.faults.clear();
  rig.sandbox.clock.speed = 1000;
});

describe('auth', () => {
  test('the client sends X-API-Key and Bearer; either header alone is accepted', async () => {
    const { cvm } = await createCvm(rig.client);
    for (const mode of ['x-api-key', 'bearer'] as const) {
      const c = rig.newClient({ authHeaders: mode });
      await expect(c.getCvm({ id: cvm.vm_uuid! })).resolves.toMatchObject({ name: cvm.name });
    }
    const ok = await raw(rig.url, '/cvms', { headers: { authorization: `Bearer ${rig.sandbox.apiKey}` } });
    expect(ok.status).toBe(200);
  });

  test('missing key: 401 {"detail":"Not authenticated"}; wrong key: 401 Invalid API key → non-retryable auth', async () => {
    const none = await raw(rig.url, '/cvms');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ detail: 'Not authenticated' });
    const bad = new PhalaClient({ baseUrl: rig.url, apiKey: 'wrong-key-123' });
    try {
      const err = await providerError(bad.listCvms());
      expect(err).toMatchObject({ kind: 'auth', status: 401, retryable: false });
      expect(err.message).toContain('Invalid API key');
      expect(err.message).not.toContain('wrong-key-123');
      const f = await appFailure(createPhalaActivities(bad).phalaListCvms({}));
      expect(f.type).toBe('ProviderAuth');
      expect(f.nonRetryable).toBe(true);
      expect(JSON.stringify(f)).not.toContain('wrong-key-123');
    } finally {
      await bad.close();
    }
  });

  test('another workspace\'s CVM answers 403 ERR-03-005 and is not listed', async () => {
    const { cvm } = await createCvm(rig.client);
    const other = rig.newClient({ apiKey: rig.sandbox.otherApiKey });
    const err = await providerError(other.getCvm({ uuid: cvm.vm_uuid! }));
    expect(err).toMatchObject({ kind: 'auth', status: 403, code: 'ERR-03-005' });
    const list = await other.listCvms();
    expect(list.items.map((i) => i.name)).not.toContain(cvm.name);
  });
});

describe('versions and shapes', () => {
  test('X-Phala-Version is pinned to 2026-01-21 by default and shapes follow the version', async () => {
    rig.sandbox.clock.speed = 1; // keep the CVM in `starting` for the whole test
    const { cvm } = await createCvm(rig.client);
    expect(rig.sandbox.versionsSeen().at(-1)).toBe('2026-01-21');
    expect(cvm.id).toBe(0); // 2026-01-21 lifecycle sentinel
    const now = await rig.client.getCvm({ id: cvm.vm_uuid! });
    expect(typeof now.id).toBe('string');
    expect(now.id).toMatch(/^cvm_/);
    expect(now.in_progress).toBeUndefined();
    expect(now.progress?.target).toBe('running');
    expect(now.resource).toMatchObject({ vcpu: 2 });

    const legacy = rig.newClient({ apiVersion: '2025-10-28' });
    const old = await legacy.getCvm({ id: cvm.vm_uuid! });
    expect(typeof old.id).toBe('number');
    expect(old.in_progress).toBe(true);
    expect(old.vcpu).toBe(2);
    const unversioned = await raw(rig.url, `/cvms/${cvm.vm_uuid!}`, { headers: { 'x-api-key': rig.sandbox.apiKey } });
    expect(typeof unversioned.json.id).toBe('number'); // no header: the legacy (docs) shape
    expect(unversioned.json).toHaveProperty('in_progress');
    const hashids = rig.newClient({ apiVersion: '2026-05-22' });
    expect((await hashids.startCvm({ id: cvm.vm_uuid! })).id).toBe(now.id);
  });

  test('unknown fields are kept on responses', async () => {
    const { cvm } = await createCvm(rig.client);
    const d = await rig.client.getCvm({ uuid: cvm.vm_uuid! });
    expect(d).toHaveProperty('gateway.base_domain'); // not in the schema, kept
    expect(d).toHaveProperty('workspace');
    expect(cvm).toHaveProperty('app_url');
  });

  test('list: legacy bare array and paginated shape both normalise', async () => {
    const legacy = rig.newClient({ apiVersion: '2025-10-28' });
    await createCvm(rig.client);
    await createCvm(rig.client);
    const bare = await legacy.listCvms();
    expect(bare.legacy).toBe(true);
    expect(bare.items[0]).toHaveProperty('hosted.id');
    expect(bare.total).toBe(bare.items.length);
    const paged = await rig.client.listCvms({ page: 1, page_size: 1 });
    expect(paged.legacy).toBe(false);
    expect(paged.items).toHaveLength(1);
    expect(paged.total).toBeGreaterThanOrEqual(2);
    expect(paged.pages).toBe(paged.total);
    const filtered = await rig.client.listCvms({ node_id: 5 });
    expect(filtered.items).toHaveLength(0);
  });

  test('identifiers: uuid, hashid, app_<id>, instance_<id>, name and numeric id all resolve', async () => {
    const { cvm } = await createCvm(rig.client);
    const hashid = (await rig.client.getCvm({ id: cvm.vm_uuid! })).id as string;
    const refs = [{ uuid: cvm.vm_uuid! }, { id: hashid }, { app_id: cvm.app_id! }, { instance_id: cvm.instance_id! }, { name: cvm.name }, { cvm_id: cvm.vm_uuid!.replace(/-/g, '') }];
    for (const ref of refs) expect((await rig.client.getCvm(ref)).vm_uuid).toBe(cvm.vm_uuid);
    const legacyId = (await rig.newClient({ apiVersion: '2025-10-28' }).getCvm({ id: hashid })).id as number;
    expect((await rig.client.getCvm({ id: legacyId })).vm_uuid).toBe(cvm.vm_uuid);
  });
});

describe('error classes', () => {
  test('not found: 404 ERR-03-001 → ProviderNotFound, non-retryable', async () => {
    const err = await providerError(rig.client.getCvm({ id: 'cvm_doesnotexist' }));
    expect(err).toMatchObject({ kind: 'not_found', status: 404, code: 'ERR-03-001', endpoint: 'GET /cvms/{id}' });
    const f = await appFailure(createPhalaActivities(rig.client).phalaGetCvm({ id: 'cvm_doesnotexist' }));
    expect(f).toMatchObject({ type: 'ProviderNotFound', nonRetryable: true });
  });

  test('invalid request: rejected client-side before sending, and 422 from the server', async () => {
    const before = rig.sandbox.server.calls('phalaProvisionCvm').length;
    const err = await providerError(rig.client.provisionCvm(provisionBody({ name: 'no' })));
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toMatch(/name: name must be RFC 1123/);
    expect(rig.sandbox.server.calls('phalaProvisionCvm').length).toBe(before);
    const r = await raw(rig.url, '/cvms/provision', { method: 'POST', headers: { 'x-api-key': rig.sandbox.apiKey }, body: { name: 'valid-name' } });
    expect(r.status).toBe(422);
    expect(r.json.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['body', 'compose_file'], type: 'missing' })]));
    const f = await appFailure(createPhalaActivities(rig.client).phalaProvisionCvm({ name: 'x', compose_file: {} }));
    expect(f.nonRetryable).toBe(true);
  });

  test('capacity: ERR-02-005 on a full node → ProviderCapacity, retryable', async () => {
    await createCvm(rig.client, { teepod_id: 6, vcpu: 1, memory: 1024 });
    await createCvm(rig.client, { teepod_id: 6, vcpu: 1, memory: 1024 });
    const err = await providerError(rig.client.provisionCvm(provisionBody({ teepod_id: 6, vcpu: 1, memory: 1024 })));
    expect(err).toMatchObject({ kind: 'capacity', code: 'ERR-02-005', retryable: true });
    const f = await appFailure(createPhalaActivities(rig.client).phalaProvisionCvm(provisionBody({ teepod_id: 6, vcpu: 1, memory: 1024 })));
    expect(f).toMatchObject({ type: 'ProviderCapacity', nonRetryable: false });
  });

  test('node and image errors are invalid requests', async () => {
    expect(await providerError(rig.client.provisionCvm(provisionBody({ teepod_id: 99 })))).toMatchObject({ code: 'ERR-01-001', kind: 'invalid_request', retryable: false });
    expect(await providerError(rig.client.provisionCvm(provisionBody({ image: 'dstack-9.9' })))).toMatchObject({ code: 'ERR-02-010', kind: 'invalid_request' });
  });

  test('rate limited with Retry-After in seconds and as an HTTP date → retryable with nextRetryDelay', async () => {
    const acts = createPhalaActivities(rig.client);
    rig.sandbox.server.faults.add({ endpoint: 'phalaListCvms', fault: { type: 'status', status: 429, retryAfter: 7, body: { detail: 'Too Many Requests' } } });
    const f1 = await appFailure(acts.phalaListCvms({}));
    expect(f1).toMatchObject({ type: 'ProviderRateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    const date = new Date(Date.now() + 10_000).toUTCString();
    rig.sandbox.server.faults.add({ endpoint: 'phalaListCvms', fault: { type: 'status', status: 429, retryAfter: date } });
    const f2 = await appFailure(acts.phalaListCvms({}));
    expect(f2.nonRetryable).toBe(false);
    expect(Number(f2.nextRetryDelay)).toBeGreaterThan(7000);
    expect(Number(f2.nextRetryDelay)).toBeLessThanOrEqual(10_000);
  });

  test('5xx is retryable', async () => {
    rig.sandbox.server.faults.add({ endpoint: 'phalaGetCvm', fault: { type: 'status', status: 503, body: { detail: 'Service Unavailable' } } });
    const f = await appFailure(createPhalaActivities(rig.client).phalaGetCvm({ id: 'anything-x' }));
    expect(f).toMatchObject({ type: 'ProviderServer', nonRetryable: false });
    expect(f.message).toContain('Service Unavailable');
  });

  test('malformed JSON → non-retryable bad_response naming the endpoint', async () => {
    rig.sandbox.server.faults.add({ endpoint: 'phalaListCvms', fault: { type: 'malformed' } });
    const f = await appFailure(createPhalaActivities(rig.client).phalaListCvms({}));
    expect(f).toMatchObject({ type: 'ProviderBadResponse', nonRetryable: true });
    expect(f.message).toContain('GET /cvms');
  });

  test('a response missing a required field → bad_response naming endpoint and field', async () => {
    rig.sandbox.server.faults.add({ endpoint: 'phalaProvisionCvm', fault: { type: 'status', status: 200, body: { app_id: 'ab', kms_info: null } } });
    const err = await providerError(rig.client.provisionCvm(provisionBody()));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toContain('POST /cvms/provision');
    expect(err.message).toContain('compose_hash');
    rig.sandbox.server.faults.add({ endpoint: 'phalaGetCvm', fault: { type: 'status', status: 200, body: { id: 1, status: 'running', app_id: null } } });
    const f = await appFailure(createPhalaActivities(rig.client).phalaGetCvm({ id: 'whatever' }));
    expect(f.message).toMatch(/GET \/cvms\/\{id\}.*name/);
  });

  test('cancellation: an AbortSignal aborts a slow request → kind cancelled', async () => {
    rig.sandbox.server.faults.add({ endpoint: 'phalaListCvms', fault: { type: 'latency', ms: 3000 } });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    const err = await providerError(rig.client.listCvms({}, { signal: ac.signal }));
    expect(err.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('connection reset → retryable network error', async () => {
    rig.sandbox.server.faults.add({ endpoint: 'phalaGetCvm', fault: { type: 'reset' } });
    const err = await providerError(rig.client.getCvm({ id: 'x-reset' }));
    expect(err).toMatchObject({ kind: 'network', retryable: true });
  });

  test('an unsupported X-Phala-Version is a 400', async () => {
    const c = rig.newClient({ apiVersion: '1999-01-01' });
    expect(await providerError(c.listCvms())).toMatchObject({ status: 400, kind: 'invalid_request' });
  });
});
