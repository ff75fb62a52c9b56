// verifyDstackAttestation: deterministic (attestation JSON, policy, collateral, trust, time) → Verdict, in the order of
// provider-notes/phala-attestation.md §3: the TDX quote through DCAP; every IMR's event log replayed to RTMR0-3 with
// runtime digests recomputed from name and payload; identity from the events before system-ready; the policy.
import { createHash } from 'node:crypto';
import { errorMessage, isAllZero, sha256Hex, toHex } from '../bytes';
import type { TrustOptions } from '../trust';
import { resolveTrust } from '../trust';
import { tdxMeasurements, verifyTdxQuote, type DcapCollateral, type TdxQuoteView } from '../tdx/verify';
import { CheckList, type Binding, type Verdict } from '../verdict';
import { timeOf } from '../input';
import { EventLogError, findSystemEvent, parseEventLog, replayEventLog, systemEvents, type DstackEvent, type ReplayResult } from './event-log';
import { DstackEvidenceError, decodeDstackEvidence, type DstackEvidence } from './evidence';
import { checkMrConfigId } from './mr-config';
import { DstackPolicySchema, expectedComposeHash, type DstackPolicy, type DstackPolicyInput } from './policy';

export interface DstackVerifyInput {
  /** The attestation: parsed JSON, or its text / bytes. */
  attestation: unknown;
  policy: DstackPolicyInput;
  /** Intel collateral for the quote's FMSPC; without it, collateral shipped inside the attestation is used, if any. */
  collateral?: DcapCollateral;
  /** Verification time: ISO string, Date or epoch milliseconds. Never read from the clock. */
  at: string | Date | number;
  trust?: TrustOptions;
}

/** Checks that must pass for `verified`: the hardware root, the replay, and the identity we deployed. */
export const DSTACK_ROOT_CHECKS = ['tdx.dcap', 'dstack.rtmr0', 'dstack.rtmr1', 'dstack.rtmr2', 'dstack.rtmr3', 'dstack.compose_hash', 'dstack.app_id', 'dstack.key_provider'] as const;

const RTMR_NAMES = ['rtMr0', 'rtMr1', 'rtMr2', 'rtMr3'] as const;
const hex = (b: Uint8Array): string => toHex(b);
const bare = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim().toLowerCase().replace(/^0x/, '') : undefined);

function parseJson(v: unknown): unknown {
  if (typeof v === 'string') return JSON.parse(v) as unknown;
  if (v instanceof Uint8Array) return JSON.parse(Buffer.from(v).toString('utf8')) as unknown;
  return v;
}

function describe(e: DstackEvent): string {
  return `#${e.index} ${e.name || `type 0x${e.eventType.toString(16)}`}`;
}

function checkReplay(view: TdxQuoteView, replay: ReplayResult, events: DstackEvent[], checks: CheckList): void {
  for (let i = 0; i < 4; i++) {
    const name = `dstack.rtmr${i}`;
    const quoted = hex(view.td[RTMR_NAMES[i]!]);
    const replayed = replay.rtmrs[i];
    if (!replayed) {
      checks.unable(name, `replay of IMR ${i} = quote RTMR${i} ${quoted}`, 'cannot replay', replay.problems[i]);
      continue;
    }
    const ok = hex(replayed) === quoted;
    let detail: string | undefined;
    if (!ok && i === 3) {
      const names = events.filter((e) => e.imr === 3).map((e) => e.name || '?');
      detail = `${replay.eventsPerImr[3]} event(s) replayed with recomputed digests (${names.join(', ')})${replay.digestMismatches.length ? `; supplied digest ≠ recomputed for ${replay.digestMismatches.map(describe).join(', ')}` : ''}`;
    } else if (!ok) detail = `${replay.eventsPerImr[i]} event(s) in IMR ${i}`;
    checks.add(name, ok, quoted, hex(replayed), detail);
  }
  const runtime = events.filter((e) => e.eventType === 0x08000001).length;
  checks.add(
    'dstack.event_log.digests',
    replay.digestMismatches.length === 0,
    'every supplied runtime digest equals the one recomputed from its name and payload',
    replay.digestMismatches.length ? `differs for ${replay.digestMismatches.map(describe).join(', ')}` : `${runtime - replay.strippedDigests} equal, ${replay.strippedDigests} stripped (recomputed)`,
  );
  if (replay.v2Events > 0) {
    checks.add('dstack.event_log.v2_preimage', replay.preimageMismatches.length === 0, 'V2 preimages are the RFC 8785 JSON of {name, payload, type}', replay.preimageMismatches.length ? `not canonical: ${replay.preimageMismatches.map(describe).join(', ')}` : `${replay.v2Events} canonical`);
  }
}

/** The API's own copy of the registers (tcb_info) is a claim: it must equal the quote's. */
function checkTcbInfoCopy(view: TdxQuoteView, tcbInfo: Record<string, unknown> | undefined, composeEvent: DstackEvent | undefined, checks: CheckList): void {
  if (!tcbInfo) return checks.skip('dstack.tcb_info.registers', 'no tcb_info in the attestation');
  const pairs: Array<[string, string | undefined, string]> = [
    ['mrtd', bare(tcbInfo.mrtd), hex(view.td.mrTd)],
    ...[0, 1, 2, 3].map((i): [string, string | undefined, string] => [`rtmr${i}`, bare(tcbInfo[`rtmr${i}`]), hex(view.td[RTMR_NAMES[i]!])]),
  ];
  if (composeEvent) pairs.push(['compose_hash', bare(tcbInfo.compose_hash), hex(composeEvent.payload)]);
  const present = pairs.filter(([, claimed]) => claimed !== undefined && claimed !== '');
  if (present.length === 0) return checks.skip('dstack.tcb_info.registers', 'tcb_info carries no register values');
  const wrong = present.filter(([, claimed, real]) => claimed !== real);
  checks.add('dstack.tcb_info.registers', wrong.length === 0, `tcb_info ${present.map(([k]) => k).join(', ')} equal the quote (and the compose-hash event)`, wrong.length ? wrong.map(([k, c, r]) => `${k} ${c!.slice(0, 16)}… ≠ ${r.slice(0, 16)}…`).join('; ') : 'equal');
}

interface Identity {
  composeHash?: DstackEvent;
  appId?: DstackEvent;
  instanceId?: DstackEvent;
  keyProvider?: DstackEvent;
  osImageHash?: DstackEvent;
  keyProviderJson?: { name: string; id: string };
}

function readIdentity(before: DstackEvent[]): Identity {
  const id: Identity = {
    composeHash: findSystemEvent(before, 'compose-hash'),
    appId: findSystemEvent(before, 'app-id'),
    instanceId: findSystemEvent(before, 'instance-id'),
    keyProvider: findSystemEvent(before, 'key-provider'),
    osImageHash: findSystemEvent(before, 'os-image-hash'),
  };
  if (id.keyProvider) {
    try {
      const j = JSON.parse(id.keyProvider.payload.toString('utf8')) as { name?: unknown; id?: unknown };
      if (typeof j.name === 'string') id.keyProviderJson = { name: j.name, id: typeof j.id === 'string' ? j.id.toLowerCase().replace(/^0x/, '') : '' };
    } catch {
      // reported by the key-provider check
    }
  }
  return id;
}

function checkIdentity(p: DstackPolicy, ev: DstackEvidence, id: Identity, checks: CheckList): void {
  const expected = expectedComposeHash(p);
  if (expected.conflict) checks.fail('dstack.policy', 'composeHash and appCompose describe the same file', expected.conflict);

  const composeActual = id.composeHash ? hex(id.composeHash.payload) : 'no compose-hash event before system-ready';
  checks.add('dstack.compose_hash', composeActual === expected.hash, `${expected.hash} (SHA-256 of the app-compose cvmflow deployed)`, composeActual);

  if (ev.appCompose === undefined) checks.skip('dstack.app_compose', 'the attestation carries no app_compose text');
  else {
    const h = sha256Hex(Buffer.from(ev.appCompose, 'utf8'));
    checks.add('dstack.app_compose', h === expected.hash, `SHA-256(tcb_info.app_compose as received) = ${expected.hash}`, h);
    if (p.dockerComposeFile !== undefined) {
      let inside: unknown;
      try {
        inside = (JSON.parse(ev.appCompose) as { docker_compose_file?: unknown }).docker_compose_file;
      } catch {
        inside = undefined;
      }
      const ok = inside === p.dockerComposeFile;
      checks.add('dstack.app_compose.docker_compose_file', ok, `the docker compose file cvmflow deployed (${sha256Hex(p.dockerComposeFile).slice(0, 16)}…)`, typeof inside === 'string' ? `${ok ? 'the same' : 'a different'} file (${sha256Hex(inside).slice(0, 16)}…)` : 'no docker_compose_file in app_compose');
    }
  }
  if (p.dockerComposeFile !== undefined && ev.appCompose === undefined) checks.skip('dstack.app_compose.docker_compose_file', 'no app_compose text to look into');

  checks.add('dstack.app_id', !!id.appId && hex(id.appId.payload) === p.appId, p.appId, id.appId ? hex(id.appId.payload) : 'no app-id event before system-ready');

  // Ours by the instance id we recorded, else by the instance the per-app answer lists under our vm_uuid
  const expectedInstance = p.instanceId ?? (p.vmUuid && ev.instance.vmUuid ? bare(ev.instance.instanceId) ?? '' : undefined);
  if (expectedInstance === undefined) checks.skip('dstack.instance_id', 'no instance id or vm_uuid expected');
  else {
    const actual = id.instanceId ? hex(id.instanceId.payload) : undefined;
    checks.add('dstack.instance_id', actual === expectedInstance, expectedInstance === '' ? "'' (no_instance_id)" : expectedInstance, actual === undefined ? 'no instance-id event before system-ready' : actual === '' ? "'' (no_instance_id)" : actual);
  }

  const kp = id.keyProviderJson;
  const kpActual = kp ? `${kp.name}${kp.id ? ` ${kp.id.slice(0, 24)}…` : ''}` : id.keyProvider ? 'key-provider payload is not {"name","id"} JSON' : 'no key-provider event before system-ready';
  if (p.keyProvider) {
    const ok = !!kp && kp.name === p.keyProvider.name && (p.keyProvider.id === undefined || kp.id === p.keyProvider.id);
    checks.add('dstack.key_provider', ok, `pinned ${p.keyProvider.name}${p.keyProvider.id ? ` ${p.keyProvider.id.slice(0, 24)}…` : ''}`, kpActual, ok ? undefined : 'the key provider changed since it was pinned, or was never this one');
  } else {
    checks.add('dstack.key_provider', !!kp && (p.allowedKeyProviders as string[]).includes(kp.name), `one of ${p.allowedKeyProviders.join(', ')} (pin it after the first success)`, kpActual);
  }

  if (p.allowedOsImageHashes) {
    if (!id.osImageHash) checks.unable('dstack.os_image_hash', `one of ${p.allowedOsImageHashes.map((h) => h.slice(0, 16) + '…').join(', ')}`, 'no os-image-hash event before system-ready', 'this dstack image does not measure it (non-KMS boot)');
    else checks.add('dstack.os_image_hash', p.allowedOsImageHashes.includes(hex(id.osImageHash.payload)), `one of ${p.allowedOsImageHashes.map((h) => h.slice(0, 16) + '…').join(', ')}`, hex(id.osImageHash.payload));
  } else checks.skip('dstack.os_image_hash', 'no OS image allow-list');
}

function checkMeasurements(p: DstackPolicy, view: TdxQuoteView, checks: CheckList): void {
  const sets = p.allowedMeasurements;
  if (!sets) return checks.skip('dstack.measurements', 'no MRTD/RTMR0-2 allow-list');
  const actual = { mrtd: hex(view.td.mrTd), rtmr0: hex(view.td.rtMr0), rtmr1: hex(view.td.rtMr1), rtmr2: hex(view.td.rtMr2) };
  const match = sets.find((s) => (['mrtd', 'rtmr0', 'rtmr1', 'rtmr2'] as const).every((k) => s[k] === undefined || s[k] === actual[k]));
  checks.add(
    'dstack.measurements',
    !!match,
    `one of ${sets.length} allowed (MRTD, RTMR0-2) set(s)${sets.some((s) => s.label) ? `: ${sets.map((s) => s.label ?? '?').join(', ')}` : ''}`,
    match ? `matches ${match.label ?? 'an allowed set'}` : `mrtd ${actual.mrtd.slice(0, 16)}… rtmr0 ${actual.rtmr0.slice(0, 16)}… rtmr1 ${actual.rtmr1.slice(0, 16)}… rtmr2 ${actual.rtmr2.slice(0, 16)}…`,
  );
}

export function verifyDstackAttestation(input: DstackVerifyInput): Verdict {
  const atMs = timeOf(input.at);
  const checks = new CheckList();
  const measurements: Record<string, string> = {};
  let tcb: Verdict['tcb'] = { status: 'Unknown', advisories: [], reported: {} };
  let keyChain: Verdict['keyChain'] = [];
  let formatChain: Verdict['formatChain'] = ['dstack'];
  let evidenceBytes = Buffer.alloc(0);

  const policyParse = DstackPolicySchema.safeParse(input.policy);
  const policy = policyParse.success ? policyParse.data : undefined;
  if (!policyParse.success) checks.unable('dstack.policy', 'the identity cvmflow deployed (composeHash or appCompose, appId, ...)', policyParse.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`).join('; '));

  let ev: DstackEvidence | undefined;
  try {
    const json = parseJson(input.attestation);
    evidenceBytes = Buffer.from(typeof input.attestation === 'string' ? input.attestation : JSON.stringify(json), 'utf8');
    ev = decodeDstackEvidence(json, { vmUuid: policy?.vmUuid, instanceId: policy?.instanceId || undefined });
    checks.add('dstack.evidence', true, 'a Phala / dstack attestation', `${ev.source}${ev.instance.vmUuid ? ` (vm_uuid ${ev.instance.vmUuid})` : ''}`);
  } catch (err) {
    checks.unable('dstack.evidence', 'a Phala / dstack attestation (per-CVM, per-app, GetQuote or Info JSON)', err instanceof DstackEvidenceError || err instanceof SyntaxError ? err.message : errorMessage(err));
  }

  let events: DstackEvent[] | undefined;
  let view: TdxQuoteView | undefined;
  if (ev) {
    measurements['dstack.source'] = ev.source;
    for (const [k, v] of Object.entries(ev.instance)) if (v) measurements[`dstack.api.${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = v;
    if (!ev.quote) checks.unable('dstack.evidence.quote', 'a TDX quote', ev.quoteMissing ?? 'none', 'retry when the CVM is online');
    if (ev.eventLog === undefined) checks.unable('dstack.evidence.event_log', 'the event log of every IMR', ev.eventLogMissing ?? 'none', 'the app-compose must set public_tcbinfo: true');
    else {
      try {
        events = parseEventLog(ev.eventLog);
        checks.add('dstack.evidence.event_log', true, 'the event log of every IMR', `${events.length} events`);
      } catch (err) {
        checks.unable('dstack.evidence.event_log', 'the event log of every IMR', err instanceof EventLogError ? err.message : errorMessage(err));
      }
    }

    if (ev.quote) {
      const trust = resolveTrust(input.trust);
      const tdx = verifyTdxQuote(
        {
          quote: ev.quote,
          collateral: input.collateral ?? ev.collateral,
          atMs,
          intelRootCaDer: trust.intelRootCaDer,
          acceptedTcbStatuses: trust.acceptedTdxTcbStatuses,
          sandboxRoots: trust.extraArks,
          ignoredSandboxRoots: trust.ignoredExtraArks,
        },
        checks,
      );
      keyChain = tdx.keyChain;
      view = tdx.quote;
      tcb = { status: tdx.tcbStatus, advisories: tdx.advisories, reported: view ? { tee_tcb_svn: hex(view.td.teeTcbSvn) } : {} };
      if (view) {
        formatChain = ['dstack', view.version === 5 ? 'tdx-quote-v5' : 'tdx-quote-v4'];
        Object.assign(measurements, tdxMeasurements(view));
        if (tdx.root === 'sandbox') measurements['tdx.root'] = 'sandbox (NOT Intel)';
        // dstack's validate_tcb: a TD whose SEAM signer is not Intel's (all zero) is not a TD module we know
        checks.add('tdx.mr_signer_seam', isAllZero(view.td.mrSignerSeam), 'all zero (the Intel TDX module)', hex(view.td.mrSignerSeam));
      }
    }

    if (view && events) checkReplay(view, replayEventLog(events), events, checks);
    else if (events && !view) for (let i = 0; i < 4; i++) checks.unable(`dstack.rtmr${i}`, `replay of IMR ${i} = the quote's RTMR${i}`, 'no parsed quote to compare with');
    else if (view && !events) for (let i = 0; i < 4; i++) checks.unable(`dstack.rtmr${i}`, `replay of IMR ${i} = the quote's RTMR${i}`, 'no event log to replay');

    if (events) {
      const sys = systemEvents(events);
      if (!sys.ready) checks.unable('dstack.event_log.system_ready', 'a system-ready event in IMR 3', 'none: the CVM has not finished booting (or the log is cut)');
      else checks.add('dstack.event_log.system_ready', true, 'a system-ready event in IMR 3', `${sys.before.length} system event(s) before it, ${sys.appEvents.length} app event(s) after`);
      const id = readIdentity(sys.before);
      if (id.composeHash) measurements['dstack.compose_hash'] = hex(id.composeHash.payload);
      if (id.appId) measurements['dstack.app_id'] = hex(id.appId.payload);
      if (id.instanceId) measurements['dstack.instance_id'] = hex(id.instanceId.payload);
      if (id.osImageHash) measurements['dstack.os_image_hash'] = hex(id.osImageHash.payload);
      if (id.keyProviderJson) {
        measurements['dstack.key_provider'] = id.keyProviderJson.name;
        measurements['dstack.key_provider_id'] = id.keyProviderJson.id;
      }
      if (sys.appEvents.length) measurements['dstack.app_events'] = sys.appEvents.map((e) => e.name).join(', ');
      if (policy) checkIdentity(policy, ev, id, checks);
      if (view) {
        checkTcbInfoCopy(view, ev.tcbInfo, id.composeHash, checks);
        checkMrConfigId(view.td.mrConfigId, {
          composeHash: id.composeHash?.payload,
          appId: id.appId?.payload,
          keyProvider: id.keyProviderJson ? { name: id.keyProviderJson.name, id: Buffer.from(id.keyProviderJson.id, 'hex') } : undefined,
        }, checks);
      }
    }
    if (view && policy) checkMeasurements(policy, view, checks);
  }

  const result = checks.result(DSTACK_ROOT_CHECKS);
  const failures = checks.failures();
  const counted = checks.items.filter((c) => c.result !== 'skip').length;
  const verified = result === 'verified';
  const binding: Binding = { kind: 'none', fresh: false, proven: false, detail: 'API attestation: proves what booted, not that it is live now (no verifier nonce)', inner: [] };
  const refusals = checks.refusals();
  const unknown = checks.items.filter((c) => c.undetermined).map((c) => c.name);
  const summary = verified
    ? `verified: dstack ${formatChain.slice(1).join('')} at ${measurements['dstack.source'] ?? ''}, ${counted} checks passed; compose ${measurements['dstack.compose_hash']?.slice(0, 16)}…, app ${measurements['dstack.app_id']}`
    : result === 'failed'
      ? `NOT verified (failed): ${refusals.length} of ${counted} checks said no (${refusals.join(', ')})${unknown.length ? `; could not check ${unknown.join(', ')}` : ''}`
      : `NOT verified (undetermined): could not check ${unknown.join(', ') || DSTACK_ROOT_CHECKS.filter((n) => !checks.passed(n)).join(', ')}`;

  return {
    verified,
    result,
    platform: 'tdx',
    format: 'dstack',
    formatChain,
    verifiedAt: new Date(atMs).toISOString(),
    evidenceSha256: createHash('sha256').update(evidenceBytes).digest('hex'),
    policySha256: policy ? sha256Hex(JSON.stringify(policy)) : null,
    keyChain,
    checks: checks.items,
    failures,
    measurements,
    tcb,
    binding,
    summary,
  };
}
