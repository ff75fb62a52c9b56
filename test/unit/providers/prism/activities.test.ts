// Every Prism activity called as a function (outside Temporal) against the sandbox, and its failure translation.
import { ApplicationFailure } from '@temporalio/common';
import { createPrismActivities, type PrismActivities } from '../../../../src/activities/prism';
import { BOOT_MS, startEnv, stopEnv, type Env } from './helpers';

let env: Env;
let acts: PrismActivities;
beforeEach(async () => {
  env = await startEnv();
  acts = createPrismActivities(env.client);
});
afterEach(async () => {
  await stopEnv(env);
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected an ApplicationFailure');
}

/** The workflow's way to find a CVM after create: list by name (a partial match), then compare exactly. */
async function findByName(name: string) {
  const res = await acts.prismListCvms({ name });
  return res.items.filter((i) => i.cvm.name === name);
}

async function onlyOne(name: string) {
  const found = await findByName(name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('activities', () => {
  it('prismCreateCvm accepts, returns plain data without an id, and the CVM is then found by exact name', async () => {
    const res = await acts.prismCreateCvm({ name: 'job-1', provider: 'ultraviolet', vcpu: 2, ccPlatform: 'SEV SNP' });
    expect(res).toEqual({ accepted: true, name: 'job-1', provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', agentLogLevel: 'info' });
    await acts.prismCreateCvm({ name: 'job-10', provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp' });
    const found = await findByName('job-1');
    expect(found).toHaveLength(1);
    expect(found[0]!.lifecycle).toMatchObject({ class: 'transitional', status: 'Creating', evidenceReady: false });
    expect(JSON.parse(JSON.stringify(found))).toEqual(found);
  });

  it('prismListCvms pages and strips evidence unless asked for it', async () => {
    for (let i = 0; i < 3; i++) await acts.prismCreateCvm({ name: `page-${i}`, provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp' });
    env.clock.advance(BOOT_MS);
    const p1 = await acts.prismListCvms({ limit: 2 });
    expect(p1).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(p1.items).toHaveLength(2);
    expect(p1.items[0]!.cvm.attestation).toBeUndefined();
    expect(p1.items[0]!.cvm.attestation_bytes).toBe(0x4a0);
    expect(p1.items[0]!.lifecycle.evidenceReady).toBe(true);
    const p2 = await acts.prismListCvms({ limit: 2, offset: 2, includeEvidence: true });
    expect(p2.items).toHaveLength(1);
    expect(Buffer.from(p2.items[0]!.cvm.attestation!, 'base64')).toHaveLength(0x4a0);
  });

  it('prismGetCvm returns the CVM and its lifecycle; evidence is ready only once online', async () => {
    await acts.prismCreateCvm({ name: 'g', provider: 'azure', vcpu: 4, ccPlatform: 'sev-snp' });
    const { cvm } = await onlyOne('g');
    const before = await acts.prismGetCvm({ id: cvm.id });
    expect(before.cvm.attestation).toBe('');
    expect(before.lifecycle.evidenceReady).toBe(false);
    env.clock.advance(BOOT_MS);
    const after = await acts.prismGetCvm({ id: cvm.id });
    expect(after.lifecycle).toEqual({ class: 'running', status: 'Online', deleted: false, evidenceReady: true, terminal: false });
  });

  it('prismDeleteCvm soft-deletes (status Inactive) and is idempotent for an unknown id', async () => {
    await acts.prismCreateCvm({ name: 'd', provider: 'azure', vcpu: 2, ccPlatform: 'tdx' });
    const { cvm } = await onlyOne('d');
    await expect(acts.prismDeleteCvm({ id: cvm.id })).resolves.toEqual({ id: cvm.id, alreadyGone: false });
    const gone = await acts.prismGetCvm({ id: cvm.id });
    expect(gone.cvm.status).toBe('Inactive');
    expect(gone.lifecycle).toMatchObject({ class: 'gone', deleted: true, terminal: true });
    await expect(acts.prismDeleteCvm({ id: 'no-such-cvm' })).resolves.toEqual({ id: 'no-such-cvm', alreadyGone: true });
  });

  it('prismGetCvmStatistics summarises the heartbeats in the window', async () => {
    await acts.prismCreateCvm({ name: 's', provider: 'azure', vcpu: 2, ccPlatform: 'sev-snp' });
    const { cvm } = await onlyOne('s');
    env.clock.advance(10 * 60_000); // 10 heartbeats: the first 60 s booting (the 1st is at 60 s, already Online)
    const res = await acts.prismGetCvmStatistics({ id: cvm.id, days: 1 });
    expect(res).toMatchObject({ id: cvm.id, days: 1, onlineSamples: 10, offlineSamples: 0, latest: { status: true } });
    expect(res.cvm_stats).toHaveLength(10);
  });

  it('prismGetAttestationPolicy returns the base64 policy and its sniffed format', async () => {
    await acts.prismCreateCvm({ name: 'p', provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp' });
    const { cvm } = await onlyOne('p');
    const res = await acts.prismGetAttestationPolicy({ id: cvm.id });
    expect(res.format).toBe('json');
    expect(JSON.parse(Buffer.from(res.attestation_policy, 'base64').toString('utf8'))).toMatchObject({ policy: { vmpl: 2 } });
    env.sandbox.setPolicyOverride(cvm.id, Buffer.from([0xd9, 0x01, 0xf5, 0xa0]));
    expect((await acts.prismGetAttestationPolicy({ id: cvm.id })).format).toBe('cbor');
  });
});

describe('failure translation', () => {
  it('invalid input fails at once without calling Prism', async () => {
    const f = await failureOf(acts.prismCreateCvm({ name: '', provider: 'ibm', vcpu: 0, ccPlatform: 'sgx' } as never));
    expect(f).toMatchObject({ type: 'InvalidActivityInput', nonRetryable: true });
    expect(f.message).toMatch(/name.*provider.*vcpu.*ccPlatform/s);
    expect(env.sandbox.server.requests).toHaveLength(0);
  });

  it('not found and auth are non-retryable with provider details; nothing carries the token', async () => {
    const nf = await failureOf(acts.prismGetCvm({ id: 'missing' }));
    expect(nf).toMatchObject({ type: 'ProviderNotFound', nonRetryable: true });
    expect(nf.details?.[0]).toMatchObject({ provider: 'prism', endpoint: 'GET /{domainID}/cvms/{id}', kind: 'not_found', status: 404 });
    env.sandbox.server.faults.add({ endpoint: 'prismListCvms', fault: { type: 'status', status: 401, body: { error: '', message: 'failed to perform authentication over the entity' } } });
    const auth = await failureOf(acts.prismListCvms({}));
    expect(auth).toMatchObject({ type: 'ProviderAuth', nonRetryable: true });
    expect(JSON.stringify({ m: auth.message, d: auth.details })).not.toContain(env.sandbox.token);
  });

  it('rate limits carry nextRetryDelay from Retry-After (seconds and HTTP date); 5xx is retryable', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvmStatistics', fault: { type: 'status', status: 429, retryAfter: 3 } });
    const r1 = await failureOf(acts.prismGetCvmStatistics({ id: 'x' }));
    expect(r1).toMatchObject({ type: 'ProviderRateLimited', nonRetryable: false, nextRetryDelay: 3000 });
    env.sandbox.server.faults.add({ endpoint: 'prismGetCvmStatistics', fault: { type: 'status', status: 429, retryAfter: new Date(Date.now() + 20_000).toUTCString() } });
    const r2 = await failureOf(acts.prismGetCvmStatistics({ id: 'x' }));
    expect(r2.nonRetryable).toBe(false);
    expect(Number(r2.nextRetryDelay)).toBeGreaterThan(15_000);
    env.sandbox.server.faults.add({ endpoint: 'prismDeleteCvm', fault: { type: 'status', status: 500, body: { error: '', message: 'unexpected server-side error occurred' } } });
    const s = await failureOf(acts.prismDeleteCvm({ id: 'x' }));
    expect(s).toMatchObject({ type: 'ProviderServer', nonRetryable: false });
  });

  it('malformed JSON is a non-retryable bad_response naming the endpoint', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismGetAttestationPolicy', fault: { type: 'malformed' } });
    const f = await failureOf(acts.prismGetAttestationPolicy({ id: 'x' }));
    expect(f).toMatchObject({ type: 'ProviderBadResponse', nonRetryable: true });
    expect(f.message).toContain('GET /{domainID}/cvms/{id}/attestation_policy');
  });

  it('a create that times out after Prism created the CVM is found by name, and a retry does not duplicate it', async () => {
    env.sandbox.server.faults.add({ endpoint: 'prismCreateCvm', fault: { type: 'after', status: 504 } });
    const f = await failureOf(acts.prismCreateCvm({ name: 'ghost', provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp' }));
    expect(f).toMatchObject({ type: 'ProviderServer', nonRetryable: false });
    const [ghost] = await findByName('ghost');
    expect(ghost).toBeDefined();
    // Temporal's retry of the same activity reuses the CVM instead of creating a duplicate
    const retry = await acts.prismCreateCvm({ name: 'ghost', provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp' });
    expect(retry).toMatchObject({ accepted: false, id: ghost!.cvm.id });
    expect(env.sandbox.server.calls('prismCreateCvm')).toHaveLength(1);
    // a deleted or failed CVM of that name does not count; opting out creates regardless
    await acts.prismDeleteCvm({ id: ghost!.cvm.id });
    expect((await acts.prismCreateCvm({ name: 'ghost', provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp' })).accepted).toBe(true);
    expect((await acts.prismCreateCvm({ name: 'ghost', provider: 'gcp', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: false })).accepted).toBe(true);
    expect((await findByName('ghost')).map((i) => i.lifecycle.class).sort()).toEqual(['gone', 'transitional', 'transitional']);
  });
});
