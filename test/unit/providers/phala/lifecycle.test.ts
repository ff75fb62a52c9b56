// The sandbox state machine over time (fast clock) through the activities: power ops, busy locks, delete,
// boot-failure injection, replicas, commit idempotency/conflict, provision expiry and env decryption.
import { createPhalaActivities } from '../../../../src/activities/phala';
import { encryptEnvForApp, encryptEnvVars, generateEnvKeyPair } from '../../../../src/providers/phala/encrypt-env';
import { appFailure, createCvm, eventually, provisionBody, providerError, raw, startRig, type Rig } from './helpers';

let rig: Rig;
let acts: ReturnType<typeof createPhalaActivities>;
const state = (ref: string) => rig.sandbox.stateOf(ref)!;

beforeAll(async () => {
  // speed 100: boot 450 ms, stop 50 ms, shutdown 200 ms, restart 400 ms of real time
  rig = await startRig({ speed: 100 });
  acts = createPhalaActivities(rig.client);
});
afterAll(() => rig.close());
beforeEach(() => {
  rig.sandbox.server.faults.clear();
  rig.sandbox.clock.speed = 100;
});

async function committed() {
  const p = await acts.phalaProvisionCvm(provisionBody());
  return acts.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
}

test('commit boots the CVM: starting (in progress, target running) → running', async () => {
  const c = await committed();
  expect(c).toMatchObject({ status: 'starting', phase: 'transitional' });
  const during = await acts.phalaGetCvm({ uuid: c.vmUuid! });
  expect(during).toMatchObject({ status: 'starting', inProgress: true, progressTarget: 'running' });
  const legacy = await rig.newClient({ apiVersion: '2025-10-28' }).getCvm({ uuid: c.vmUuid! });
  expect(legacy.in_progress).toBe(true);
  await eventually(() => state(c.ref).status === 'running', 3000);
  const after = await acts.phalaGetCvm({ id: c.ref });
  expect(after).toMatchObject({ status: 'running', phase: 'running', inProgress: false, progressTarget: null });
  const list = await rig.newClient({ apiVersion: '2025-10-28' }).listCvms();
  const item = list.items.find((i) => i.hosted?.id === c.vmUuid)!;
  expect(item).toMatchObject({ status: 'running', in_progress: false, hosted: { boot_progress: 'running' } });
});

test('stop, start, shutdown and restart move through their transitional states', async () => {
  const c = await committed();
  await eventually(() => state(c.ref).status === 'running', 3000);
  expect(await acts.phalaStopCvm({ id: c.ref })).toMatchObject({ status: 'stopping', inProgress: false }); // VMSchema has no progress flags
  await eventually(() => state(c.ref).status === 'stopped', 3000);
  expect((await acts.phalaGetCvm({ id: c.ref })).phase).toBe('stopped');
  expect(await acts.phalaStopCvm({ id: c.ref })).toMatchObject({ status: 'stopped' }); // idempotent
  expect(await acts.phalaStartCvm({ id: c.ref })).toMatchObject({ status: 'starting' });
  await eventually(() => state(c.ref).status === 'running', 3000);
  expect(await acts.phalaStartCvm({ id: c.ref })).toMatchObject({ status: 'running' }); // already running
  expect(await acts.phalaShutdownCvm({ id: c.ref })).toMatchObject({ status: 'stopping' });
  expect(rig.sandbox.stateOf(c.ref)!.shutdownProgress).toBe('shutting down containers');
  await eventually(() => state(c.ref).status === 'stopped', 3000);
  expect(await acts.phalaRestartCvm({ id: c.ref })).toMatchObject({ status: 'restarting' });
  expect(state(c.ref).target).toBe('running');
  await eventually(() => state(c.ref).status === 'running', 3000);
});

test('an operation while another is in progress answers 409 busy: a retryable conflict', async () => {
  rig.sandbox.clock.speed = 1; // hold the CVM in `starting`
  const c = await committed();
  const err = await providerError(rig.client.restartCvm({ id: c.ref }));
  expect(err).toMatchObject({ status: 409, kind: 'conflict', code: 'CVM_BUSY', retryable: true });
  const f = await appFailure(acts.phalaShutdownCvm({ id: c.ref }));
  expect(f).toMatchObject({ type: 'ProviderConflict', nonRetryable: false });
  // a forced restart and a forced stop are allowed while busy
  expect(await acts.phalaRestartCvm({ id: c.ref, force: true })).toMatchObject({ status: 'restarting' });
  expect(await acts.phalaStopCvm({ id: c.ref })).toMatchObject({ status: 'stopping' });
});

test('delete removes the CVM (then 404); deleting again counts as already absent unless asked not to', async () => {
  const c = await committed();
  expect(await acts.phalaDeleteCvm({ id: c.ref })).toEqual({ deleted: true, alreadyAbsent: false });
  expect(rig.sandbox.cvm(c.ref)).toBeUndefined();
  expect(await providerError(rig.client.getCvm({ id: c.ref }))).toMatchObject({ status: 404, kind: 'not_found' });
  expect(await acts.phalaDeleteCvm({ id: c.ref })).toEqual({ deleted: true, alreadyAbsent: true });
  expect(await appFailure(acts.phalaDeleteCvm({ id: c.ref, notFoundOk: false }))).toMatchObject({ type: 'ProviderNotFound', nonRetryable: true });
});

test('failure injection: the next boot exits with boot_error (helper and admin route)', async () => {
  rig.sandbox.failNextBoot({ bootError: 'container app exited with code 137' });
  const c = await committed();
  await eventually(() => state(c.ref).status === 'exited', 3000);
  expect(state(c.ref)).toMatchObject({ inProgress: false, bootError: 'container app exited with code 137' });
  expect((await acts.phalaGetCvm({ id: c.ref })).phase).toBe('failed');
  // through the admin API, for one named CVM
  const r = await raw(rig.url.replace(/\/api\/v1$/, ''), '/_sandbox/phala/fail-next-boot', { method: 'POST', body: { cvm: c.ref, boot_error: 'second failure' } });
  expect(r.status).toBe(200);
  await acts.phalaStartCvm({ id: c.ref });
  await eventually(() => state(c.ref).status === 'exited', 3000);
  expect(state(c.ref).bootError).toBe('second failure');
  await acts.phalaStartCvm({ id: c.ref });
  await eventually(() => state(c.ref).status === 'running', 3000); // failures are one-shot
});

test('replicate: a new CVM with the same compose on another node; app_<id> becomes ambiguous', async () => {
  const c = await committed();
  const rep = await acts.phalaReplicateCvm({ id: c.ref, node_id: 5 });
  expect(rep).toMatchObject({ appId: c.appId, nodeId: 5, status: 'starting' });
  expect(rep.vmUuid).not.toBe(c.vmUuid);
  expect(rig.sandbox.cvm(rep.ref)!.composeHash).toBe(rig.sandbox.cvm(c.ref)!.composeHash);
  const err = await providerError(rig.client.getCvm({ app_id: c.appId! }));
  expect(err).toMatchObject({ status: 409, code: 'ERR-03-002', kind: 'conflict', retryable: false });
  expect(await providerError(rig.client.replicateCvm({ id: c.ref, node_id: 77 }))).toMatchObject({ code: 'ERR-01-001' });
});

test('commit is idempotent on app_id + compose_hash; another compose_hash → 409 ERR-03-007, non-retryable', async () => {
  const p = await acts.phalaProvisionCvm(provisionBody());
  const first = await acts.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
  const again = await acts.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
  expect(again.vmUuid).toBe(first.vmUuid);
  expect(rig.sandbox.cvms().filter((c) => c.appId === p.appId)).toHaveLength(1);
  const f = await appFailure(acts.phalaCommitCvm({ app_id: p.appId!, compose_hash: 'ab'.repeat(32) }));
  expect(f).toMatchObject({ type: 'ProviderConflict', nonRetryable: true });
  expect((f.details?.[0] as { code?: string }).code).toBe('ERR-03-007');
});

test('a provision may be retried (nothing is committed yet); each answer can be committed once', async () => {
  const body = provisionBody();
  const a = await acts.phalaProvisionCvm(body);
  const b = await acts.phalaProvisionCvm(body);
  expect(b.appId).not.toBe(a.appId);
  expect((await acts.phalaCommitCvm({ app_id: b.appId!, compose_hash: b.composeHash })).name).toBe(body.name);
  // the other answer cannot create a second CVM of that name
  expect(await providerError(rig.client.commitCvm({ app_id: a.appId!, compose_hash: a.composeHash }))).toMatchObject({ status: 409, code: 'ERR-01-004' });
});

test('a duplicate name is refused at provision (ERR-01-004)', async () => {
  const { cvm } = await createCvm(rig.client);
  expect(await providerError(rig.client.provisionCvm(provisionBody({ name: cvm.name })))).toMatchObject({ status: 409, code: 'ERR-01-004', retryable: false });
});

test('an expired provision answers 466 ERR-01-006: non-retryable, go back to provision', async () => {
  const short = await startRig({ speed: 1000, provisionTtlMs: 5_000 });
  try {
    const a = createPhalaActivities(short.client);
    const p = await a.phalaProvisionCvm(provisionBody());
    await new Promise((r) => setTimeout(r, 30));
    const f = await appFailure(a.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash }));
    expect(f).toMatchObject({ type: 'ProviderInvalidRequest', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({ status: 466, code: 'ERR-01-006' });
  } finally {
    await short.close();
  }
});

describe('env vars', () => {
  const env = [
    { key: 'API_TOKEN', value: 'tok-very-secret-1' },
    { key: 'DB_URL', value: 'postgres://secret-pw@db' },
    { key: 'NOT_ALLOWED', value: 'x-secret-3' },
  ];

  test('the sandbox decrypts encrypted_env with the app key and keeps only allowed keys, never values', async () => {
    const p = await rig.client.provisionCvm(provisionBody());
    const { encryptedEnv, envKeys } = encryptEnvForApp(p, env);
    const c = await acts.phalaCommitCvm({ app_id: p.app_id!, compose_hash: p.compose_hash, encrypted_env: encryptedEnv, env_keys: envKeys });
    expect(rig.sandbox.envDecrypted(c.ref)).toBe(true);
    expect(rig.sandbox.envKeysOf(c.ref)).toEqual(['API_TOKEN', 'DB_URL']);
    expect(rig.sandbox.skippedEnvKeysOf(c.ref)).toEqual(['NOT_ALLOWED']);
    expect((await acts.phalaGetCvm({ id: c.ref })).encryptedEnvPubkey).toBe(p.app_env_encrypt_pubkey);
    await eventually(() => state(c.ref).status === 'running', 3000);
    const admin = await raw(rig.url.replace(/\/api\/v1$/, ''), '/_sandbox/phala/cvms');
    const log = await raw(rig.url.replace(/\/api\/v1$/, ''), '/_sandbox/requests');
    for (const text of [admin.text, log.text, JSON.stringify(c)]) for (const { value } of env) expect(text).not.toContain(value);
    expect(admin.text).toContain('"env_decrypted":true');
  });

  test('env encrypted for another key does not decrypt: the boot fails', async () => {
    const p = await rig.client.provisionCvm(provisionBody());
    const wrong = encryptEnvVars(env.slice(0, 1), generateEnvKeyPair().publicKeyHex);
    const c = await acts.phalaCommitCvm({ app_id: p.app_id!, compose_hash: p.compose_hash, encrypted_env: wrong });
    expect(rig.sandbox.envDecrypted(c.ref)).toBe(false);
    expect(rig.sandbox.envKeysOf(c.ref)).toEqual([]);
    await eventually(() => state(c.ref).status === 'exited', 3000);
    expect(state(c.ref).bootError).toMatch(/failed to decrypt env/);
  });
});
