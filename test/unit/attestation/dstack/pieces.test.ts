// The pieces of the dstack verifier on evidence signed by a sandbox TDX chain: runtime digests (V1, V2 with its
// preimage), keccak256 for MrConfig V2, mr_config_id versions, the JSON shapes and encodings we accept, debug TDs.
import { createHash } from 'node:crypto';
import { verifyDstackAttestation, type Verdict } from '../../../../src/attestation';
import { DSTACK_RUNTIME_EVENT_TYPE, extend, parseEventLog, runtimeEventDigest, runtimeEventPreimage } from '../../../../src/attestation/dstack/event-log';
import { keccak256, sponge256 } from '../../../../src/attestation/dstack/keccak';
import type { DstackPolicyInput } from '../../../../src/attestation/dstack/policy';
import { buildDstackEvidence, createSandboxKmsRoot, type AttestedCvm } from '../../../../src/sandbox/phala/attestation';
import { createSandboxTdxChain, signSandboxTdxQuote } from '../../../../src/sandbox/phala/tdx-chain';
import { canonicalAppCompose } from '../../../../src/providers/phala/compose-hash';

const chain = createSandboxTdxChain();
const kms = createSandboxKmsRoot();
const at = new Date(chain.notBefore + 3_600_000);
const trust = { extraArks: [chain.root.pem], allowSandbox: true };
const composeFile = { manifest_version: 2, name: 'pieces', runner: 'docker-compose', docker_compose_file: 'services: {}\n', public_tcbinfo: true };
const cvm: AttestedCvm = {
  name: 'pieces',
  appId: 'aa'.repeat(20),
  vmUuid: '5b0e3c8e-2f0a-4a44-9d6e-2d3f1c2b4a11',
  instanceId: 'bb'.repeat(20),
  composeFile,
  composeHash: createHash('sha256').update(canonicalAppCompose(composeFile)).digest('hex'),
  image: 'dstack-0.5.3',
  vcpu: 2,
  memory: 4096,
};
const policy: DstackPolicyInput = { composeHash: cvm.composeHash, appId: cvm.appId, instanceId: cvm.instanceId, keyProvider: { name: 'kms', id: kms } };
const refused = (v: Verdict) => v.checks.filter((c) => c.result === 'fail' && !c.undetermined).map((c) => c.name);
const check = (v: Verdict, name: string) => v.checks.find((c) => c.name === name);
const verify = (attestation: unknown, p: DstackPolicyInput = policy) => verifyDstackAttestation({ attestation, policy: p, collateral: chain.collateral, at, trust });

/** A GetQuote-shaped answer over `events`, with the quote's registers replayed from them (and optional mr_config_id). */
function getQuote(events: Array<Record<string, unknown>>, opts: { mrConfigId?: Buffer; tdAttributes?: Buffer } = {}) {
  const rtmrs = [0, 1, 2, 3].map((i) => {
    let mr: Buffer = Buffer.alloc(48);
    for (const e of parseEventLog(events)) if (e.imr === i) mr = extend(mr, e.eventType === DSTACK_RUNTIME_EVENT_TYPE ? runtimeEventDigest(e) : Buffer.from(e.suppliedDigest, 'hex'));
    return mr;
  }) as [Buffer, Buffer, Buffer, Buffer];
  const quote = signSandboxTdxQuote(chain, { mrTd: Buffer.alloc(48, 7), rtmrs, reportData: Buffer.alloc(0), ...opts });
  return { quote: quote.toString('hex'), event_log: JSON.stringify(events), report_data: '', vm_config: '{}' };
}

function honestEvents(): Array<Record<string, unknown>> {
  return buildDstackEvidence(chain, cvm, kms).eventLog.map((e) => ({ ...e }));
}

test('keccak256: the Keccak test values, and the same sponge with SHA3 padding equals node:crypto sha3-256', () => {
  expect(keccak256(Buffer.alloc(0)).toString('hex')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  expect(keccak256(Buffer.from('abc')).toString('hex')).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  for (const n of [0, 1, 55, 135, 136, 137, 271, 272, 300]) {
    const data = Buffer.alloc(n, n & 0xff);
    expect([n, sponge256(data, 0x06).toString('hex')]).toEqual([n, createHash('sha3-256').update(data).digest('hex')]);
  }
});

test('V1 runtime digest: SHA-384(u32le type ‖ ":" ‖ name ‖ ":" ‖ payload)', () => {
  const payload = Buffer.from('0102', 'hex');
  const manual = createHash('sha384').update(Buffer.concat([Buffer.from([1, 0, 0, 8]), Buffer.from(':app-id:'), payload])).digest('hex');
  expect(runtimeEventDigest({ name: 'app-id', payload, eventType: DSTACK_RUNTIME_EVENT_TYPE, version: 1 }).toString('hex')).toBe(manual);
});

test('sandbox evidence verifies as it is served: GetQuote shape, hex with 0x, base64 and byte-array quotes', () => {
  const base = getQuote(honestEvents());
  const bytes = Buffer.from(base.quote, 'hex');
  for (const quote of [base.quote, `0x${base.quote}`, bytes.toString('base64'), [...bytes]]) {
    const v = verify({ ...base, quote });
    expect([v.result, v.measurements['dstack.source']]).toEqual(['verified', 'dstack-get-quote']);
  }
});

test('V2 events: digest of the RFC 8785 preimage; a preimage that is not canonical is refused', () => {
  const events = honestEvents().map((e) => (e.imr === 3 ? { ...e, version: 2, digest: '' } : e));
  for (const e of events) if (e.imr === 3) e.preimage = runtimeEventPreimage({ name: e.event as string, payload: Buffer.from(e.event_payload as string, 'hex'), eventType: DSTACK_RUNTIME_EVENT_TYPE });
  expect(events.find((e) => e.event === 'app-id')!.preimage).toBe(`{"name":"app-id","payload":"${cvm.appId}","type":134217729}`);
  const answer = getQuote(events);
  const v = verify(answer);
  expect(v.result).toBe('verified');
  expect(check(v, 'dstack.event_log.v2_preimage')).toMatchObject({ result: 'pass', actual: '9 canonical' });
  // V1 digests would not replay to this RTMR3: the version matters
  const asV1 = verify({ ...answer, event_log: JSON.stringify(events.map(({ version: _v, preimage: _p, ...e }) => e)) });
  expect(refused(asV1)).toEqual(['dstack.rtmr3']);
  const sloppy = events.map((e) => (e.event === 'app-id' ? { ...e, preimage: `{ "name": "app-id", "payload": "${cvm.appId}", "type": 134217729 }` } : e));
  expect(refused(verify({ ...answer, event_log: JSON.stringify(sloppy) }))).toEqual(['dstack.event_log.v2_preimage']);
});

test('mr_config_id: V1 and V2 (keccak256) cross-checked, V3 noted, an unknown version refused', () => {
  const events = honestEvents();
  const composeHash = Buffer.from(cvm.composeHash, 'hex');
  const v1 = Buffer.concat([Buffer.from([1]), composeHash, Buffer.alloc(15)]);
  expect(check(verify(getQuote(events, { mrConfigId: v1 })), 'dstack.mr_config_id')?.result).toBe('pass');
  const wrongV1 = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 9), Buffer.alloc(15)]);
  expect(refused(verify(getQuote(events, { mrConfigId: wrongV1 })))).toEqual(['dstack.mr_config_id']);
  const v2digest = keccak256(Buffer.concat([composeHash, Buffer.from(cvm.appId, 'hex'), Buffer.from([2]), Buffer.from(kms, 'hex')]));
  const v2 = Buffer.concat([Buffer.from([2]), v2digest, Buffer.alloc(15)]);
  expect(check(verify(getQuote(events, { mrConfigId: v2 })), 'dstack.mr_config_id')).toMatchObject({ result: 'pass', expected: `V2: 02 ‖ ${v2digest.toString('hex')} ‖ zeros` });
  const v2local = Buffer.concat([Buffer.from([2]), keccak256(Buffer.concat([composeHash, Buffer.from(cvm.appId, 'hex'), Buffer.from([1]), Buffer.from(kms, 'hex')])), Buffer.alloc(15)]);
  expect(refused(verify(getQuote(events, { mrConfigId: v2local })))).toEqual(['dstack.mr_config_id']);
  expect(check(verify(getQuote(events, { mrConfigId: Buffer.concat([Buffer.from([3]), Buffer.alloc(47, 1)]) })), 'dstack.mr_config_id')?.result).toBe('skip');
  expect(refused(verify(getQuote(events, { mrConfigId: Buffer.concat([Buffer.from([7]), Buffer.alloc(47)]) })))).toEqual(['dstack.mr_config_id']);
});

test('a debug TD is refused (by DCAP and by our own check)', () => {
  const v = verify(getQuote(honestEvents(), { tdAttributes: Buffer.from('0100001000000000', 'hex') }));
  expect(v.result).toBe('failed');
  expect(refused(v)).toEqual(expect.arrayContaining(['tdx.dcap', 'tdx.td_attributes.debug']));
});

test('per-app shape: replicas need a vm_uuid; the older `eventlog` location and text tcb_info are read', () => {
  const ev = buildDstackEvidence(chain, cvm, kms);
  const instance = (vmUuid: string, extra: Record<string, unknown>) => ({ vm_uuid: vmUuid, instance_id: cvm.instanceId, status: 'running', quote: ev.quote.toString('hex'), ...extra });
  const { instanceId: _ours, ...byVmUuidOnly } = policy;
  const tcbInfo = { ...ev.registers, app_compose: ev.appCompose, event_log: ev.eventLog };
  const twoReplicas = { app_id: cvm.appId, instances: [instance(cvm.vmUuid, { tcb_info: tcbInfo }), instance('00000000-0000-0000-0000-000000000000', { tcb_info: tcbInfo, instance_id: 'cc'.repeat(20) })] };
  const unsure = verify(twoReplicas, byVmUuidOnly);
  expect([unsure.result, check(unsure, 'dstack.evidence')?.actual]).toEqual(['undetermined', expect.stringMatching(/2 replicas; say which one with vm_uuid or instance_id/)]);
  expect(verify(twoReplicas, { ...byVmUuidOnly, vmUuid: cvm.vmUuid.replace(/-/g, '').toUpperCase() }).result).toBe('verified');
  expect(verify(twoReplicas, policy).result).toBe('verified'); // picked by our instance id
  expect(verify(twoReplicas, { ...byVmUuidOnly, vmUuid: 'ffffffff-0000-0000-0000-000000000000' }).result).toBe('undetermined');
  // the replica the API lists under our vm_uuid must be the one the quote's instance-id event names
  const swapped = { app_id: cvm.appId, instances: [instance(cvm.vmUuid, { tcb_info: tcbInfo, instance_id: 'cc'.repeat(20) })] };
  expect(refused(verify(swapped, { ...byVmUuidOnly, vmUuid: cvm.vmUuid }))).toEqual(['dstack.instance_id']);
  const older = { app_id: cvm.appId, instances: [instance(cvm.vmUuid, { tcb_info: JSON.stringify({ ...ev.registers, app_compose: ev.appCompose }), eventlog: ev.eventLog })] };
  const v = verify(older, { ...byVmUuidOnly, vmUuid: cvm.vmUuid });
  expect([v.result, check(v, 'dstack.instance_id')?.result, check(v, 'dstack.app_compose')?.result]).toEqual(['verified', 'pass', 'pass']);
});

test('evidence that cannot be checked is undetermined and says why; the Info shape has no quote', () => {
  const info = { app_id: cvm.appId, instance_id: cvm.instanceId, tcb_info: JSON.stringify({ event_log: honestEvents() }) };
  const v = verify(info);
  expect(v.result).toBe('undetermined');
  expect(check(v, 'dstack.evidence.quote')).toMatchObject({ undetermined: true, actual: expect.stringMatching(/Info shape carries no quote/) });
  const noLog = verify({ app_certificates: [{ position_in_chain: 0, quote: getQuote(honestEvents()).quote }], is_online: true, tcb_info: null });
  expect([noLog.result, check(noLog, 'dstack.evidence.event_log')?.detail]).toEqual(['undetermined', expect.stringMatching(/public_tcbinfo: true/)]);
  const badLog = verify({ ...getQuote(honestEvents()), event_log: '[{"imr": 9}]' });
  expect([badLog.result, check(badLog, 'dstack.evidence.event_log')?.actual]).toEqual(['undetermined', 'event #0.imr: expected an integer 0-3, got 9']);
  expect(verify('not json').result).toBe('undetermined');
  expect(verify({ hello: 'world' }).checks[0]).toMatchObject({ name: 'dstack.evidence', undetermined: true });
  const cut = honestEvents().filter((e) => e.event !== 'system-ready');
  expect(check(verify(getQuote(cut)), 'dstack.event_log.system_ready')).toMatchObject({ undetermined: true });
});

test('a policy without the identity we deployed is refused before anything is trusted', () => {
  const v = verify(getQuote(honestEvents()), { appId: cvm.appId } as DstackPolicyInput);
  expect(v.result).toBe('undetermined');
  expect(check(v, 'dstack.policy')?.actual).toMatch(/composeHash: give composeHash \(the provision response compose_hash\) or appCompose/);
  const conflicting = verify(getQuote(honestEvents()), { ...policy, appCompose: '{"other":true}' });
  expect(refused(conflicting)).toContain('dstack.policy');
});
