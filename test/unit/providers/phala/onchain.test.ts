// The on-chain KMS branch: provision with kms BASE/ETHEREUM (app_id null), register on the simulated chain,
// commit with contract/deployer/tx hash; 465 (registration required), 467 (tx not verifiable), 468 (hash not
// on-chain), env encryption with the KMS app key, and replicas that need their device allowed.
import { createPhalaActivities } from '../../../../src/activities/phala';
import { encryptEnvForApp } from '../../../../src/providers/phala/encrypt-env';
import { appFailure, eventually, provisionBody, providerError, raw, startRig, type Rig } from './helpers';

let rig: Rig;
let acts: ReturnType<typeof createPhalaActivities>;
const admin = () => rig.url.replace(/\/api\/v1$/, '');

beforeAll(async () => {
  rig = await startRig({ speed: 1000 });
  acts = createPhalaActivities(rig.client);
});
afterAll(() => rig.close());
beforeEach(() => {
  rig.sandbox.clock.speed = 1000;
});

async function provisionOnChain(kms: 'BASE' | 'ETHEREUM' = 'BASE') {
  return acts.phalaProvisionCvm(provisionBody({ kms, teepod_id: 3 }));
}

test('provision with on-chain KMS returns no app_id and what registration needs', async () => {
  const p = await provisionOnChain('BASE');
  expect(p).toMatchObject({ appId: null, appEnvEncryptPubkey: null, onChainKms: true, nodeId: 3 });
  expect(p.kmsInfo).toMatchObject({ slug: 'base', chain_id: 8453 });
  expect(p.kmsInfo!.kms_contract_address).toMatch(/^0x[0-9a-f]{40}$/);
  expect(p.deviceId).toMatch(/^[0-9a-f]{64}$/);
  expect(p.composeHash).toMatch(/^[0-9a-f]{64}$/);
  const eth = await provisionOnChain('ETHEREUM');
  expect(eth.kmsInfo).toMatchObject({ chain_id: 1 });
  const phala = await acts.phalaProvisionCvm(provisionBody());
  expect(phala).toMatchObject({ onChainKms: false });
  expect(phala.appId).toMatch(/^[0-9a-f]{40}$/);
  // nodes without on-chain KMS support refuse
  expect(await providerError(rig.client.provisionCvm(provisionBody({ kms: 'BASE', teepod_id: 6 })))).toMatchObject({ code: 'ERR-02-009', kind: 'invalid_request' });
});

test('commit before registration: 465 with the registration data; then register and commit', async () => {
  const p = await provisionOnChain();
  const fakeApp = `0x${'12'.repeat(20)}`;
  const f = await appFailure(acts.phalaCommitCvm({ app_id: fakeApp, compose_hash: p.composeHash, contract_address: fakeApp, deployer_address: `0x${'34'.repeat(20)}` }));
  expect(f).toMatchObject({ type: 'ProviderInvalidRequest', nonRetryable: true });
  const d = f.details?.[0] as { status: number; code: string; details: { details: Array<Record<string, unknown>> } };
  expect(d).toMatchObject({ status: 465, code: 'ERR-01-005' });
  expect(d.details.details[0]).toMatchObject({ compose_hash: p.composeHash, device_id: p.deviceId, onchain_status: { is_allowed: false, compose_hash_allowed: false } });

  // the workflow's on-chain step: DstackKms.deployAndRegisterApp(…, deviceId, composeHash)
  const reg = rig.sandbox.registerOnChain({ compose_hash: p.composeHash, device_id: p.deviceId!, kms: 'BASE' });
  expect(reg.app_id).toMatch(/^0x[0-9a-f]{40}$/);
  expect(reg.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
  const env = [{ key: 'API_TOKEN', value: 'onchain-secret-value' }];
  const { encryptedEnv, envKeys } = encryptEnvForApp(reg.app_env_encrypt_pubkey, env);
  const c = await acts.phalaCommitCvm({
    app_id: reg.app_id,
    compose_hash: p.composeHash,
    contract_address: reg.contract_address,
    deployer_address: reg.deployer_address,
    transaction_hash: reg.transaction_hash,
    encrypted_env: encryptedEnv,
    env_keys: envKeys,
    kms_id: p.kmsId!,
  });
  expect(c).toMatchObject({ status: 'starting', appId: reg.app_id.slice(2), contractAddress: reg.contract_address, deployerAddress: reg.deployer_address });
  expect(rig.sandbox.envKeysOf(c.ref)).toEqual(['API_TOKEN']);
  expect(JSON.stringify(c)).not.toContain('onchain-secret-value');
  await eventually(() => rig.sandbox.stateOf(c.ref)!.status === 'running', 3000);
  const detail = await rig.client.getCvm({ id: c.ref });
  expect(detail).toMatchObject({ kms_type: 'base', kms_info: { dstack_app_address: reg.contract_address, encrypted_env_pubkey: reg.app_env_encrypt_pubkey } });
});

test('a tx that is not confirmed yet answers 467 (retryable); once visible the commit succeeds', async () => {
  const p = await provisionOnChain();
  rig.sandbox.clock.speed = 1; // 30 s of simulated confirmation time = 30 s real for now
  const reg = rig.sandbox.registerOnChain({ compose_hash: p.composeHash, device_id: p.deviceId!, confirm_delay_ms: 30_000 });
  const body = { app_id: reg.app_id, compose_hash: p.composeHash, contract_address: reg.contract_address, deployer_address: reg.deployer_address, transaction_hash: reg.transaction_hash };
  const f = await appFailure(acts.phalaCommitCvm(body));
  expect(f).toMatchObject({ nonRetryable: false });
  expect(f.details?.[0]).toMatchObject({ status: 467, code: 'ERR-01-007' });
  // without the tx hash, the chain state decides: not visible yet → 465
  expect(await providerError(rig.client.commitCvm({ ...body, transaction_hash: undefined }))).toMatchObject({ status: 465 });
  rig.sandbox.clock.speed = 1000; // the chain catches up: 30 s simulated = 30 ms now
  await new Promise((r) => setTimeout(r, 60));
  const c = await acts.phalaCommitCvm(body);
  expect(c.status).toBe('starting');
});

test('468: the tx is real but the app does not allow this compose hash', async () => {
  const p = await provisionOnChain();
  const other = await provisionOnChain();
  const reg = rig.sandbox.registerOnChain({ compose_hash: other.composeHash, device_id: p.deviceId! });
  const err = await providerError(
    rig.client.commitCvm({ app_id: reg.app_id, compose_hash: p.composeHash, contract_address: reg.contract_address, deployer_address: reg.deployer_address, transaction_hash: reg.transaction_hash }),
  );
  expect(err).toMatchObject({ status: 468, code: 'ERR-01-008', retryable: true });
  // a tx of another app → 467
  const unrelated = rig.sandbox.registerOnChain({ compose_hash: p.composeHash });
  expect(
    await providerError(rig.client.commitCvm({ app_id: reg.app_id, compose_hash: p.composeHash, contract_address: reg.contract_address, deployer_address: reg.deployer_address, transaction_hash: unrelated.transaction_hash })),
  ).toMatchObject({ status: 467, code: 'ERR-01-007' });
});

test('admin route /_sandbox/phala/onchain registers with a chosen tx hash; "already-registered" is accepted', async () => {
  const p = await provisionOnChain();
  const tx = `0x${'ab'.repeat(32)}`;
  const r = await raw(admin(), '/_sandbox/phala/onchain', { method: 'POST', body: { compose_hash: p.composeHash, device_id: p.deviceId, transaction_hash: tx } });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ transaction_hash: tx, compose_hash: p.composeHash });
  const reg = r.json as unknown as { app_id: string; contract_address: string; deployer_address: string };
  const c = await acts.phalaCommitCvm({ app_id: reg.app_id, compose_hash: p.composeHash, contract_address: reg.contract_address, deployer_address: reg.deployer_address, transaction_hash: 'already-registered' });
  expect(c.appId).toBe(reg.app_id.slice(2));
  expect((await raw(admin(), '/_sandbox/phala/onchain', { method: 'POST', body: { compose_hash: 'nope' } })).status).toBe(400);
});

test('on-chain commit field checks: contract/deployer required (422), tx hash shape (client and server)', async () => {
  const p = await provisionOnChain();
  const app = `0x${'56'.repeat(20)}`;
  const h = { 'x-api-key': rig.sandbox.apiKey };
  const missing = await raw(rig.url, '/cvms', { method: 'POST', headers: h, body: { app_id: app, compose_hash: p.composeHash } });
  expect(missing.status).toBe(422);
  expect(missing.json.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['body', 'contract_address'] })]));
  const badTx = await raw(rig.url, '/cvms', { method: 'POST', headers: h, body: { app_id: app, compose_hash: p.composeHash, contract_address: app, deployer_address: app, transaction_hash: '0xdef' } });
  expect(badTx.status).toBe(422);
  expect(await providerError(rig.client.commitCvm({ app_id: app, compose_hash: p.composeHash, transaction_hash: '0xdef' }))).toMatchObject({ kind: 'invalid_request' });
});

test('replicas of an on-chain app need the target device allowed (465 until addDevice)', async () => {
  const p = await provisionOnChain();
  const reg = rig.sandbox.registerOnChain({ compose_hash: p.composeHash, device_id: p.deviceId! });
  const c = await acts.phalaCommitCvm({ app_id: reg.app_id, compose_hash: p.composeHash, contract_address: reg.contract_address, deployer_address: reg.deployer_address });
  const f = await appFailure(acts.phalaReplicateCvm({ id: c.ref, node_id: 5 }));
  expect(f.details?.[0]).toMatchObject({ status: 465, code: 'ERR-01-005' });
  const node5Device = (f.details?.[0] as { details: { details: Array<{ device_id: string }> } }).details.details[0]!.device_id;
  rig.sandbox.registerOnChain({ app_id: reg.app_id, compose_hash: p.composeHash, device_id: node5Device });
  const rep = await acts.phalaReplicateCvm({ id: c.ref, node_id: 5 });
  expect(rep).toMatchObject({ nodeId: 5, appId: c.appId });
});
