// The three real dstack vectors (shared/attestation-vectors/phala) get the verdicts their README gives at the fixed
// times it names, and tampering with them (RTMR3 in the quote, a payload under its old digest, a removed event, a
// different compose file) is rejected with the failing check named.
import { createHash } from 'node:crypto';
import { verifyDstackAttestation, type Verdict } from '../../../../src/attestation';
import type { DstackPolicyInput } from '../../../../src/attestation/dstack/policy';
import { readVectorText } from '../vectors';

type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const quoteReport = (): Json => JSON.parse(readVectorText('phala', 'dstack-quote-report.json')) as Json;
const liteQuote = (): Json => JSON.parse(readVectorText('phala', 'dstack-tdx-lite-getquote.json')) as Json;
const nearMpc = (): Json => JSON.parse(readVectorText('phala', 'near-mpc-public_data.json')) as Json;
/** Same FMSPC (90C06F000000) as vectors 1 and 2; window [2026-02-18T10:58:51Z, 2026-03-20T10:58:51Z). */
const collateral90C06F = () => JSON.parse(readVectorText('tdx-dcap-qvl', 'tdx_quote_outdated_collateral.json'));

const V1_AT = '2026-03-01T00:00:00Z';
const V3_AT = 1786622400 * 1000; // 2026-08-13T12:00:00Z, inside the collateral NEAR ships

const V1_POLICY: DstackPolicyInput = {
  composeHash: '3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7',
  appId: '3763bc34552cf3a27ff71ad5f7a90471562a1a2d',
  instanceId: 'c3714eb66990eace777b4e664c16e09375dec4c9',
  keyProvider: { name: 'local-sgx' },
};
const V2_POLICY: DstackPolicyInput = {
  composeHash: '86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9',
  appId: '86b0e55f2fa8e4fb69d890f14f54d5612707646e',
  instanceId: '050bf89570575fe8fab4cb8f0a62a9e64efe8ead',
};
const V3_POLICY: DstackPolicyInput = {
  composeHash: '2911e1f733466216dedb862d6d669e11256ee7a34ce4dbc66c4b807ba7a9c895',
  appId: '2911e1f733466216dedb862d6d669e11256ee7a3',
  instanceId: '',
  keyProvider: { name: 'local-sgx' },
};

const check = (v: Verdict, name: string) => v.checks.find((c) => c.name === name);
const refused = (v: Verdict) => v.checks.filter((c) => c.result === 'fail' && !c.undetermined).map((c) => c.name);

describe('the README verdicts', () => {
  test('1. dstack-quote-report: verified at 2026-03-01 with the 90C06F collateral (UpToDate, no advisories)', () => {
    const v = verifyDstackAttestation({ attestation: readVectorText('phala', 'dstack-quote-report.json'), policy: V1_POLICY, collateral: collateral90C06F(), at: V1_AT });
    expect([v.result, v.verified, v.failures]).toEqual(['verified', true, []]);
    expect(v.tcb).toMatchObject({ status: 'UpToDate', advisories: [] });
    expect(v.measurements).toMatchObject({
      rtmr3: '0f787c3877f3e95095d5a4d13dd0fe0233803b30120d8469866719dc28f519ce021fe1e53459121e7a5a4443147185a8',
      'dstack.compose_hash': V1_POLICY.composeHash,
      'dstack.app_id': V1_POLICY.appId,
      'dstack.instance_id': V1_POLICY.instanceId,
      'dstack.key_provider': 'local-sgx',
      'dstack.app_events': 'LIUM_MINER_HOTKEY',
      mr_config_id: '0'.repeat(96),
    });
    expect(v.measurements['dstack.key_provider_id']).toMatch(/^1b7a4937[0-9a-f]*cf8b$/);
    expect(v.measurements['dstack.os_image_hash']).toBeUndefined(); // no os-image-hash event in this log
    expect(check(v, 'dstack.event_log.digests')?.actual).toBe('8 equal, 0 stripped (recomputed)');
    expect(check(v, 'dstack.app_compose')).toMatchObject({ result: 'skip' }); // the app-compose text is not in the file
    expect(check(v, 'dstack.mr_config_id')).toMatchObject({ result: 'skip', detail: expect.stringMatching(/all zero/) });
    expect(v.formatChain).toEqual(['dstack', 'tdx-quote-v4']);
    // also on 2026-03-19, and undetermined (collateral expired) at the README's checking date
    expect(verifyDstackAttestation({ attestation: quoteReport(), policy: V1_POLICY, collateral: collateral90C06F(), at: '2026-03-19T00:00:00Z' }).result).toBe('verified');
    const late = verifyDstackAttestation({ attestation: quoteReport(), policy: V1_POLICY, collateral: collateral90C06F(), at: '2026-12-02T00:00:00Z' });
    expect(late.result).toBe('undetermined');
    expect(check(late, 'tdx.dcap')).toMatchObject({ undetermined: true, actual: 'TCBInfo expired' });
  });

  test('1. without a pinned key provider the default allows only kms, so local-sgx is refused; a wrong pinned id too', () => {
    const { keyProvider: _kp, ...unpinned } = V1_POLICY;
    const v = verifyDstackAttestation({ attestation: quoteReport(), policy: unpinned, collateral: collateral90C06F(), at: V1_AT });
    expect(v.result).toBe('failed');
    expect(refused(v)).toEqual(['dstack.key_provider']);
    const wrongId = verifyDstackAttestation({ attestation: quoteReport(), policy: { ...V1_POLICY, keyProvider: { name: 'local-sgx', id: 'ab'.repeat(32) } }, collateral: collateral90C06F(), at: V1_AT });
    expect(refused(wrongId)).toEqual(['dstack.key_provider']);
  });

  test('2. tdx-lite-getquote: replay and identity pass only because digests are recomputed; no usable collateral → undetermined', () => {
    for (const [at, dcapSays] of [
      ['2026-05-01T00:00:00Z', 'TCBInfo expired'],
      ['2026-03-01T00:00:00Z', 'Certificate is expired or not yet valid'], // the PCK leaf starts 2026-04-15
    ] as const) {
      const v = verifyDstackAttestation({ attestation: liteQuote(), policy: V2_POLICY, collateral: collateral90C06F(), at });
      expect(v.result).toBe('undetermined');
      expect(refused(v)).toEqual([]);
      expect(check(v, 'tdx.dcap')).toMatchObject({ result: 'fail', undetermined: true, actual: dcapSays });
      for (const name of ['dstack.rtmr0', 'dstack.rtmr1', 'dstack.rtmr2', 'dstack.rtmr3', 'dstack.compose_hash', 'dstack.app_id', 'dstack.instance_id', 'dstack.key_provider', 'dstack.mr_config_id']) {
        expect([name, check(v, name)?.result]).toEqual([name, 'pass']);
      }
      expect(check(v, 'dstack.rtmr3')?.actual).toBe('6f24c170d0fd63fc2b1b53202eea47b013978437fa6982cf5e0438ff95c208994aaa0f4ebab2e3a66824b5b56869137e');
      expect(check(v, 'dstack.event_log.digests')?.actual).toBe('0 equal, 9 stripped (recomputed)');
      expect(v.measurements['dstack.key_provider']).toBe('kms');
      expect(v.measurements['dstack.key_provider_id']).toMatch(/^3059301306072a8648ce3d0201/);
      // the os-image-hash event (KMS) is not vm_config.os_image_hash: it is reported, not substituted
      expect(v.measurements['dstack.os_image_hash']).toMatch(/^07a2388c.*051d$/);
    }
    // without any collateral: undetermined too
    expect(verifyDstackAttestation({ attestation: liteQuote(), policy: V2_POLICY, at: '2026-05-01T00:00:00Z' }).result).toBe('undetermined');
  });

  test('3. near-mpc public_data: verified at 2026-08-13T12:00Z with its own collateral (byte arrays), app_compose hashed as received', () => {
    const v = verifyDstackAttestation({ attestation: readVectorText('phala', 'near-mpc-public_data.json'), policy: V3_POLICY, at: V3_AT });
    expect([v.result, v.failures]).toEqual(['verified', []]);
    expect(v.tcb).toMatchObject({ status: 'UpToDate', advisories: [] });
    expect(v.measurements).toMatchObject({
      rtmr3: '86f1808cffc050f3c0c09d29da2bfcec7eba3e8fa52016a7341f28884230f9ca8b56400413d57bce00b578e36790b555',
      'dstack.instance_id': '',
      'dstack.app_events': 'mpc-image-digest',
      'dstack.source': 'dstack-info',
    });
    expect(check(v, 'dstack.app_compose')).toMatchObject({ result: 'pass', actual: V3_POLICY.composeHash });
    expect(check(v, 'dstack.tcb_info.registers')).toMatchObject({ result: 'pass' });
    expect(check(v, 'dstack.mr_config_id')?.expected).toBe(`V1: 01 ‖ ${V3_POLICY.composeHash} ‖ zeros`);
    // after the QE identity window: undetermined, never failed
    const late = verifyDstackAttestation({ attestation: nearMpc(), policy: V3_POLICY, at: '2026-09-12T00:00:00Z' });
    expect([late.result, check(late, 'tdx.dcap')?.actual]).toEqual(['undetermined', 'QE Identity expired']);
  });
});

describe('tampering with the real vectors', () => {
  const v3 = (attestation: Json, policy: DstackPolicyInput = V3_POLICY) => verifyDstackAttestation({ attestation, policy, at: V3_AT });
  const dstack = (j: Json): Json => j.tee_participant_info.Dstack as Json;
  const events = (j: Json): Json[] => dstack(j).tcb_info.event_log as Json[];

  test('one bit of RTMR3 in the quote: the quote signature and the RTMR3 replay both fail', () => {
    const j = nearMpc();
    (dstack(j).quote as number[])[520] ^= 0x01; // RTMR3 starts at byte 520 of a v4 quote
    const v = v3(j);
    expect(v.result).toBe('failed');
    expect(refused(v)).toEqual(expect.arrayContaining(['tdx.dcap', 'dstack.rtmr3', 'dstack.tcb_info.registers']));
    expect(check(v, 'tdx.dcap')?.actual).toBe('ISV enclave report signature is invalid');
    for (const ok of ['dstack.rtmr0', 'dstack.rtmr1', 'dstack.rtmr2', 'dstack.compose_hash']) expect([ok, check(v, ok)?.result]).toEqual([ok, 'pass']);
  });

  test('one byte of the compose-hash payload changed, digest left as it was: the recomputed RTMR3 no longer matches', () => {
    for (const attestation of [nearMpc(), quoteReport()]) {
      const list = 'tee_participant_info' in attestation ? events(attestation) : (JSON.parse(attestation.event_log as string) as Json[]);
      const e = list.find((x) => x.event === 'compose-hash')!;
      const digest = e.digest;
      e.event_payload = `${(e.event_payload as string).slice(0, 62)}${(e.event_payload as string).slice(62) === '00' ? '01' : '00'}`;
      expect(e.digest).toBe(digest);
      if (!('tee_participant_info' in attestation)) attestation.event_log = JSON.stringify(list);
      const v = 'tee_participant_info' in attestation ? v3(attestation) : verifyDstackAttestation({ attestation, policy: V1_POLICY, collateral: collateral90C06F(), at: V1_AT });
      expect(v.result).toBe('failed');
      expect(refused(v)).toEqual(expect.arrayContaining(['dstack.rtmr3', 'dstack.event_log.digests']));
      expect(check(v, 'dstack.event_log.digests')?.actual).toMatch(/differs for #\d+ compose-hash/);
      expect(check(v, 'tdx.dcap')?.result).toBe('pass'); // the quote itself is genuine
    }
  });

  test('a payload forged to match our compose hash, under the old digest, is caught (a digest-trusting replay would pass)', () => {
    const j = nearMpc();
    const e = events(j).find((x) => x.event === 'compose-hash')!;
    const forged = 'ab'.repeat(32);
    e.event_payload = forged;
    const v = v3(j, { ...V3_POLICY, composeHash: forged, appCompose: undefined });
    expect(check(v, 'dstack.compose_hash')?.result).toBe('pass'); // the forged identity looks right...
    expect(v.result).toBe('failed'); // ...but does not replay
    expect(refused(v)).toContain('dstack.rtmr3');
  });

  test.each([
    ['instance-id (RTMR3, before system-ready)', 'instance-id', 'dstack.rtmr3'],
    ['mpc-image-digest (an app event after system-ready)', 'mpc-image-digest', 'dstack.rtmr3'],
  ])('an event removed: %s', (_label, name, failing) => {
    const j = nearMpc();
    const list = events(j);
    list.splice(list.findIndex((x) => x.event === name), 1);
    const v = v3(j);
    expect(v.result).toBe('failed');
    expect(refused(v)).toContain(failing);
  });

  test('an IMR 0 event removed fails RTMR0 only; two RTMR3 events swapped fails RTMR3', () => {
    const j = nearMpc();
    const list = events(j);
    list.splice(list.findIndex((x) => x.imr === 0), 1);
    expect(refused(v3(j))).toEqual(['dstack.rtmr0']);
    const k = nearMpc();
    const l = events(k);
    const a = l.findIndex((x) => x.event === 'boot-mr-done');
    [l[a], l[a + 1]] = [l[a + 1]!, l[a]!];
    expect(refused(v3(k))).toEqual(['dstack.rtmr3']);
  });

  test('the log replayed only up to system-ready does not reach RTMR3 (app events are measured)', () => {
    const j = nearMpc();
    const list = events(j);
    list.splice(list.findIndex((x) => x.event === 'system-ready') + 1);
    expect(refused(v3(j))).toEqual(['dstack.rtmr3']);
  });

  test('a different compose file: RTMR3 replays, the identity does not match what we deployed', () => {
    const j = nearMpc();
    const appCompose = dstack(j).tcb_info.app_compose as string;
    const ours = appCompose.replace('nearone/mpc-launcher@sha256:', 'nearone/mpc-launcher-fork@sha256:');
    expect(ours).not.toBe(appCompose);
    const v = v3(j, { ...V3_POLICY, composeHash: undefined, appCompose: ours });
    expect(v.result).toBe('failed');
    expect(refused(v).sort()).toEqual(['dstack.app_compose', 'dstack.compose_hash']);
    expect(check(v, 'dstack.rtmr3')?.result).toBe('pass');
    expect(check(v, 'dstack.compose_hash')?.expected).toContain(createHash('sha256').update(ours).digest('hex'));
    // the docker compose file inside app_compose is compared too when given
    const dc = v3(nearMpc(), { ...V3_POLICY, dockerComposeFile: 'services: {}\n' });
    expect(refused(dc)).toEqual(['dstack.app_compose.docker_compose_file']);
  });

  test('an API copy of the registers that lies is refused even when the quote and log agree', () => {
    const j = nearMpc();
    dstack(j).tcb_info.rtmr0 = '00'.repeat(48);
    expect(refused(v3(j))).toEqual(['dstack.tcb_info.registers']);
  });

  test('a byte of report_data flipped inside the signed range: the quote signature fails', () => {
    const j = nearMpc();
    (dstack(j).quote as number[])[600] ^= 0xff;
    expect(refused(v3(j))).toContain('tdx.dcap');
  });

  test('allow-lists: OS image hash needs the event (undetermined without it), measurement sets must match', () => {
    const q = dstack(nearMpc()).tcb_info as Json;
    const allowed = { label: 'dstack mpc-localnet', mrtd: q.mrtd as string, rtmr0: q.rtmr0 as string, rtmr1: q.rtmr1 as string, rtmr2: q.rtmr2 as string };
    expect(v3(nearMpc(), { ...V3_POLICY, allowedMeasurements: [allowed] }).result).toBe('verified');
    expect(refused(v3(nearMpc(), { ...V3_POLICY, allowedMeasurements: [{ ...allowed, rtmr1: '11'.repeat(48) }] }))).toEqual(['dstack.measurements']);
    const noEvent = v3(nearMpc(), { ...V3_POLICY, allowedOsImageHashes: ['22'.repeat(32)] });
    expect([noEvent.result, check(noEvent, 'dstack.os_image_hash')?.undetermined]).toEqual(['undetermined', true]);
    const lite = (hash: string) => verifyDstackAttestation({ attestation: liteQuote(), policy: { ...V2_POLICY, allowedOsImageHashes: [hash] }, at: '2026-05-01T00:00:00Z' });
    expect(check(lite('07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d'), 'dstack.os_image_hash')?.result).toBe('pass');
    expect(check(lite('e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db'), 'dstack.os_image_hash')?.result).toBe('fail');
  });
});
