// The Prism client against the Prism sandbox over a real socket: wire format, every error class, cancellation.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../../../src/providers/http/errors';
import { PrismClient } from '../../../../src/providers/prism/client';
import { prismEndpoints } from '../../../../src/providers/prism/endpoints';
import { parsePrismErrorBody } from '../../../../src/providers/prism/errors';
import { decodeAttestation, decodeAttestationPolicy, normalizeCcPlatform } from '../../../../src/providers/prism/schemas';
import { BOOT_MS, startEnv, stopEnv, type Env } from './helpers';

let env: Env;
beforeEach(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await stopEnv(env);
});

async function expectProviderError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

async function createOnline(name = 'cvm-a'): Promise<string> {
  await env.client.createCvm({ name, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'SEV SNP' });
  env.clock.advance(BOOT_MS);
  const list = await env.client.listCvms({ name });
  return list.cvms.find((c) => c.name === name)!.id;
}

describe('catalogue', () => {
  it('documents the 6 endpoints with provider-first activity names', () => {
    expect(prismEndpoints.map((e) => `${e.method} ${e.path} ${e.activity}`)).toEqual([
      'POST /{domainID}/cvms/{provider}/{vcpu}/{cc_platform} prismCreateCvm',
      'GET /{domainID}/cvms prismListCvms',
      'GET /{domainID}/cvms/{id} prismGetCvm',
      'DELETE /{domainID}/cvms/{id} prismDeleteCvm',
      'GET /{domainID}/cvms/{id}/statistics prismGetCvmStatistics',
      'GET /{domainID}/cvms/{id}/attestation_policy prismGetAttestationPolicy',
    ]);
  });
});

describe('wire format', () => {
  it('creates with an empty 201, the canonical cc_platform in the path and ?domainID= repeated', async () => {
    const res = await env.client.createCvm({ name: 'wire', provider: 'GCP', vcpu: 4, ccPlatform: 'Intel TDX', agentLogLevel: 'debug' });
    expect(res).toEqual({});
    const call = env.sandbox.server.calls('prismCreateCvm')[0]!;
    expect(call.status).toBe(201);
    expect(call.path).toBe(`/${env.sandbox.domainId}/cvms/gcp/4/tdx`);
    const [cvm] = env.sandbox.cvms();
    expect(cvm).toMatchObject({ name: 'wire', provider: 'gcp', vcpus: 4, ccPlatform: 'tdx', status: 'Creating' });
    // the log never carries the query (domainID) nor the token
    expect(env.logs.at(-1)).toMatchObject({ provider: 'prism', endpoint: 'POST /{domainID}/cvms/{provider}/{vcpu}/{cc_platform}', status: 201 });
    expect(JSON.stringify(env.logs)).not.toContain(env.sandbox.token);
  });

  it('sends Bearer auth and the domainID query on every call (and can leave the query out)', async () => {
    const seen: Array<{ url: string; auth?: string }> = [];
    const probe = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', name: 'n', status: 'Online', cvms: [], total: 0, cvm_stats: [], attestation_policy: '' }));
    });
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/backends`;
    const c = new PrismClient({ baseUrl: base, token: () => 'tok-1', domainId: 'dom-1' });
    await c.getCvm({ id: 'c1' });
    await c.listCvms({ limit: 5, name: 'a b', ccPlatform: 'SEV SNP' });
    await c.getCvmStatistics({ id: 'c1', days: 3 });
    await c.getAttestationPolicy({ id: 'c1' });
    await c.close();
    const plain = new PrismClient({ baseUrl: base, token: 'tok-2', domainId: 'dom-1', domainQuery: false });
    await plain.getCvm({ id: 'c1' });
    await plain.close();
    await new Promise<void>((r) => probe.close(() => r()));
    expect(seen.map((s) => s.url)).toEqual([
      '/backends/dom-1/cvms/c1?domainID=dom-1',
      '/backends/dom-1/cvms?domainID=dom-1&limit=5&name=a+b&cc_platform=sev-snp',
      '/backends/dom-1/cvms/c1/statistics?domainID=dom-1&days=3',
      '/backends/dom-1/cvms/c1/attestation_policy?domainID=dom-1',
      '/backends/dom-1/cvms/c1',
    ]);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('lists, views and decodes a CVM, keeping unknown fields and treating deleted_at zero time as not deleted', async () => {
    const id = await createOnline('viewed');
    const cvm = await env.client.getCvm({ id });
    expect(cvm).toMatchObject({ id, cvm_id: id, name: 'viewed', status: 'Online', cc_platform: 'sev-snp', provider: 'ultraviolet', vcpus: 2, deleted_at: '0001-01-01T00:00:00Z' });
    expect(cvm.monthly_cost_estimate).toMatch(/^\$\d+\.\d\d$/);
    expect(decodeAttestation(cvm).toString('utf8', 0x50, 0x50 + 9)).toBe('FAKE-SNP:');
    const policy = decodeAttestationPolicy(await env.client.getAttestationPolicy({ id }));
    expect(policy.json).toMatchObject({ policy: { vmpl: 2 }, issuedFor: 'viewed' });
  });

  it('accepts every documented cc_platform spelling and rejects others before sending', async () => {
    for (const s of ['sev-snp', 'SEV SNP', 'SEV-SNP', 'snp']) expect(normalizeCcPlatform(s)).toBe('sev-snp');
    for (const s of ['tdx', 'Intel TDX', 'intel-tdx', 'TDX']) expect(normalizeCcPlatform(s)).toBe('tdx');
    const err = await expectProviderError(env.client.createCvm({ name: 'x', provider: 'azure', vcpu: 2, ccPlatform: 'SGX' }));
    expect(err.kind).toBe('invalid_request');
    expect(err.message).toContain('cc_platform');
    expect(env.sandbox.server.calls('prismCreateCvm')).toHaveLength(0);
  });
});

describe('errors', () => {
  it('401 for an unknown token and for a missing bearer, 403 for a domain the token may not use', async () => {
    const bad = new PrismClient({ baseUrl: env.url, token: 'not-a-token', domainId: env.sandbox.domainId });
    const e1 = await expectProviderError(bad.listCvms());
    expect(e1).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(e1.message).toContain('failed to perform authentication over the entity');
    expect(e1.message).not.toContain('not-a-token');
    await bad.close();

    const res = await fetch(`${env.url}/${env.sandbox.domainId}/cvms`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'missing or invalid bearer user token', message: 'something went wrong with the request' });

    const other = new PrismClient({ baseUrl: env.url, token: env.sandbox.token, domainId: 'another-domain' });
    const e2 = await expectProviderError(other.listCvms());
    expect(e2).toMatchObject({ kind: 'auth', status: 403 });
    expect(e2.message).toContain('failed to perform authorization');
    await other.close();
  });

  it('404 entity not found for an unknown id and for a CVM of another domain', async () => {
    const e = await expectProviderError(env.client.getCvm({ id: 'nope' }));
    expect(e).toMatchObject({ kind: 'not_found', status: 404, endpoint: 'GET /{domainID}/cvms/{id}' });
    expect(e.message).toContain('entity not found');
    env.sandbox.grantToken(env.sandbox.token, ['second-domain']);
    const second = new PrismClient({ baseUrl: env.url, token: env.sandbox.token, domainId: 'second-domain' });
    const id = await createOnline();
    await expect(second.getCvm({ id })).rejects.toMatchObject({ kind: 'not_found' });
    await second.close();
  });

  it('409 for a duplicate live name when the sandbox enforces unique names', async () => {
    await stopEnv(env);
    env = await startEnv({ uniqueNames: true });
    await env.client.createCvm({ name: 'dup', provider: 'azure', vcpu: 2, ccPlatform: 'sev-snp' });
    const e = await expectProviderError(env.client.createCvm({ name: 'dup', provider: 'azure', vcpu: 2, ccPlatform: 'sev-snp' }));
    expect(e).toMatchObject({ kind: 'conflict', status: 409, retryable: false });
    expect(e.message).toContain('entity already exists');
  });

  it('400 malformed entity for invalid values the server checks (limit, vcpu, provider)', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismListCvms', fault: { type: 'status', status: 400, body: { error: 'invalid limit size', message: 'malformed entity specification' } } });
    const e = await expectProviderError(env.client.listCvms({ limit: 5 }));
    expect(e).toMatchObject({ kind: 'invalid_request', status: 400 });
    expect(e.message).toContain('malformed entity specification: invalid limit size');
    const res = await fetch(`${env.url}/${env.sandbox.domainId}/cvms/ibm/2/sev-snp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.sandbox.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid provider', message: 'malformed entity specification' });
    const over = await fetch(`${env.url}/${env.sandbox.domainId}/cvms?limit=101`, { headers: { authorization: `Bearer ${env.sandbox.token}` } });
    expect(over.status).toBe(400);
  });

  it('429 with Retry-After in seconds and as an HTTP date is retryable with the delay', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvm', fault: { type: 'status', status: 429, retryAfter: 7 } });
    const e1 = await expectProviderError(env.client.getCvm({ id: 'x' }));
    expect(e1).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7000 });
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvm', fault: { type: 'status', status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() } });
    const e2 = await expectProviderError(env.client.getCvm({ id: 'x' }));
    expect(e2.kind).toBe('rate_limited');
    expect(e2.retryAfterMs).toBeGreaterThan(25_000);
    expect(e2.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('5xx is retryable; 422 "try again" is retryable, other 422s are not', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismDeleteCvm', fault: { type: 'status', status: 503 } });
    await expect(env.client.deleteCvm({ id: 'x' })).rejects.toMatchObject({ kind: 'server', retryable: true, status: 503 });
    expect(parsePrismErrorBody(422, { error: '', message: 'Try again' }, '')).toMatchObject({ kind: 'server', retryable: true });
    expect(parsePrismErrorBody(422, { error: 'x', message: 'failed to create entity in the db' }, '').kind).toBeUndefined();
    expect(parsePrismErrorBody(404, undefined, '404 page not found\n')).toMatchObject({ message: '404 page not found' });
    expect(parsePrismErrorBody(400, { code: 'cvms.invalid', message: 'bad', details: { f: 1 } }, '')).toEqual({ code: 'cvms.invalid', message: 'bad', details: { f: 1 } });
  });

  it('malformed JSON and a missing required field are non-retryable bad_response errors naming endpoint and field', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvmStatistics', fault: { type: 'malformed' } });
    const e1 = await expectProviderError(env.client.getCvmStatistics({ id: 'x' }));
    expect(e1).toMatchObject({ kind: 'bad_response', retryable: false, endpoint: 'GET /{domainID}/cvms/{id}/statistics' });

    env.sandbox.server.faults.add({ endpoint: 'prismGetCvm', fault: { type: 'status', status: 200, body: { id: 'c1', name: 'n' } } });
    const e2 = await expectProviderError(env.client.getCvm({ id: 'c1' }));
    expect(e2.kind).toBe('bad_response');
    expect(e2.message).toContain('GET /{domainID}/cvms/{id}');
    expect(e2.message).toContain('status');

    env.sandbox.server.faults.add({ endpoint: 'prismGetAttestationPolicy', fault: { type: 'status', status: 200, body: { attestation_policy: 'not base64!' } } });
    const e3 = await expectProviderError(env.client.getAttestationPolicy({ id: 'c1' }));
    expect(e3.message).toContain('attestation_policy');
  });

  it('keeps unknown fields and tolerates Go nulls', async () => {
    env.sandbox.server.faults.add({
      endpoint: 'prismListCvms',
      fault: { type: 'status', status: 200, body: { cvms: [{ id: 'c1', name: 'n', status: 'Online', gpu: { model: 'H100' }, vcpus: '4', attestation: null }], total: 1, region: 'eu' } },
    });
    const list = await env.client.listCvms();
    expect(list).toMatchObject({ total: 1, region: 'eu' });
    expect(list.cvms[0]).toMatchObject({ id: 'c1', gpu: { model: 'H100' }, vcpus: 4 });
    env.sandbox.server.faults.add({ endpoint: 'prismListCvms', fault: { type: 'status', status: 200, body: { cvms: null, total: 0 } } });
    expect((await env.client.listCvms()).cvms).toEqual([]);
  });

  it('an AbortSignal cancels a slow request', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismListCvms', fault: { type: 'latency', ms: 3000 } });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    const e = await expectProviderError(env.client.listCvms({}, { signal: ac.signal }));
    expect(e.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a connection reset is a retryable network error', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvm', fault: { type: 'reset' } });
    await expect(env.client.getCvm({ id: 'x' })).rejects.toMatchObject({ kind: 'network', retryable: true });
  });
});
