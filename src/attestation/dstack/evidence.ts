// Where the pieces of a dstack attestation sit in the JSON shapes we accept: Phala's per-CVM attestation
// (GET /cvms/{id}/attestation), Phala's per-app attestations (GET /apps/{app_id}/attestations, one instance picked),
// a guest-agent GetQuote answer ({quote, event_log, vm_config}) and the guest-agent Info / tcb_info shape (possibly
// wrapped, as NEAR's /public_data does). Only locating and decoding happens here; nothing is trusted yet.
import type { DcapCollateral } from '../tdx/verify';

export type DstackSource = 'phala-cvm-attestation' | 'phala-app-attestations' | 'dstack-get-quote' | 'dstack-info';

export interface DstackInstanceFacts {
  vmUuid?: string;
  instanceId?: string;
  appId?: string;
  name?: string;
  status?: string;
  imageVersion?: string;
}

export interface DstackEvidence {
  source: DstackSource;
  /** The TDX quote, when the JSON carries one. */
  quote?: Buffer;
  /** Why there is no quote (offline CVM, null field, undecodable text). */
  quoteMissing?: string;
  /** The event log as found (array or JSON text), before parsing. */
  eventLog?: unknown;
  eventLogMissing?: string;
  /** `tcb_info` as an object (decoded when it came as JSON text). */
  tcbInfo?: Record<string, unknown>;
  /** The exact app-compose.json text (`tcb_info.app_compose`), never re-serialised. */
  appCompose?: string;
  /** Collateral shipped beside the quote (NEAR's public data does); Intel-signed, so usable but not trusted by itself. */
  collateral?: DcapCollateral;
  instance: DstackInstanceFacts;
  /** `is_online` of the per-CVM endpoint, or the instance status of the per-app one. */
  online?: boolean;
  providerError?: string;
  vmConfig?: Record<string, unknown>;
}

export class DstackEvidenceError extends Error {
  override name = 'DstackEvidenceError';
}

export interface InstanceSelector {
  vmUuid?: string;
  instanceId?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bareId = (v: string): string => v.toLowerCase().replace(/^(?:0x|app_|instance_)/, '').replace(/-/g, '');

/** Hex (bare or 0x), a JSON byte array, or base64 text: the encodings the sources use for a quote. */
export function decodeQuote(v: unknown): Buffer {
  if (Array.isArray(v)) {
    if (!v.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) throw new DstackEvidenceError('quote: an array that is not bytes');
    return Buffer.from(v as number[]);
  }
  if (typeof v !== 'string') throw new DstackEvidenceError(`quote: expected hex text or a byte array, got ${v === null ? 'null' : typeof v}`);
  const t = v.trim().replace(/^0x/i, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(t) && t.length % 4 === 0) return Buffer.from(t, 'base64');
  throw new DstackEvidenceError(`quote: neither hex nor base64 (${t.slice(0, 24)}…)`);
}

function jsonObject(v: unknown, what: string): Json | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (isObject(v)) return v;
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      // reported below
    }
  }
  throw new DstackEvidenceError(`${what}: expected an object or JSON text of one`);
}

/** Byte-array collateral fields (NEAR) become hex, the form dcap-qvl and our cache use. */
function normaliseCollateral(v: unknown): DcapCollateral | undefined {
  if (!isObject(v) || typeof v.tcb_info !== 'string' || typeof v.qe_identity !== 'string') return undefined;
  const out: Json = { ...v };
  for (const k of ['root_ca_crl', 'pck_crl', 'tcb_info_signature', 'qe_identity_signature']) {
    if (Array.isArray(out[k])) out[k] = Buffer.from(out[k] as number[]).toString('hex');
  }
  return out as unknown as DcapCollateral;
}

function setQuote(out: DstackEvidence, raw: unknown, why: string): void {
  if (raw === undefined || raw === null || raw === '') {
    out.quoteMissing = why;
    return;
  }
  try {
    out.quote = decodeQuote(raw);
  } catch (err) {
    out.quoteMissing = (err as Error).message;
  }
}

function setTcbInfo(out: DstackEvidence, raw: unknown, fallbackLog?: unknown): void {
  out.tcbInfo = jsonObject(raw, 'tcb_info');
  const log = out.tcbInfo?.event_log ?? fallbackLog;
  if (log === undefined || log === null || log === '') out.eventLogMissing = out.tcbInfo ? 'tcb_info has no event_log' : 'no tcb_info and no event log';
  else out.eventLog = log;
  if (typeof out.tcbInfo?.app_compose === 'string') out.appCompose = out.tcbInfo.app_compose;
}

function pickInstance(instances: unknown[], select: InstanceSelector): Json {
  const list = instances.filter(isObject);
  if (select.vmUuid) {
    const hit = list.find((i) => typeof i.vm_uuid === 'string' && bareId(i.vm_uuid) === bareId(select.vmUuid!));
    if (!hit) throw new DstackEvidenceError(`instances: none has vm_uuid ${select.vmUuid} (${list.length} instance(s): ${list.map((i) => String(i.vm_uuid)).join(', ') || 'none'})`);
    return hit;
  }
  if (select.instanceId) {
    const hit = list.find((i) => typeof i.instance_id === 'string' && bareId(i.instance_id) === bareId(select.instanceId!));
    if (!hit) throw new DstackEvidenceError(`instances: none has instance_id ${select.instanceId}`);
    return hit;
  }
  if (list.length === 1) return list[0]!;
  throw new DstackEvidenceError(list.length === 0 ? 'instances: the app has no instance' : `instances: ${list.length} replicas; say which one with vm_uuid or instance_id`);
}

/** Depth-limited search for the object holding a quote next to a tcb_info or event log (wrappers such as NEAR's). */
function findQuoteHolder(v: unknown, depth = 0): Json | undefined {
  if (!isObject(v) || depth > 4) return undefined;
  if ('quote' in v && ('tcb_info' in v || 'event_log' in v || 'eventlog' in v)) return v;
  for (const child of Object.values(v)) {
    const hit = findQuoteHolder(child, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/** True when the JSON is one of the dstack / Phala shapes (so a CLI can route it here). */
export function looksLikeDstack(json: unknown): boolean {
  if (!isObject(json)) return false;
  return Array.isArray(json.instances) || 'app_certificates' in json || 'is_online' in json || 'tcb_info' in json || !!findQuoteHolder(json);
}

export function decodeDstackEvidence(json: unknown, select: InstanceSelector = {}): DstackEvidence {
  if (!isObject(json)) throw new DstackEvidenceError('attestation: expected a JSON object');

  // B: GET /apps/{app_id}/attestations
  if (Array.isArray(json.instances)) {
    const inst = pickInstance(json.instances, select);
    const out: DstackEvidence = {
      source: 'phala-app-attestations',
      instance: { vmUuid: str(inst.vm_uuid), instanceId: str(inst.instance_id), appId: str(json.app_id), name: str(inst.name), status: str(inst.status), imageVersion: str(inst.image_version) },
      providerError: str(inst.error),
    };
    if (out.instance.status) out.online = /^(running|online)$/i.test(out.instance.status);
    setQuote(out, inst.quote, `instance ${out.instance.vmUuid ?? ''} has no quote (stopped or not yet booted${out.instance.status ? `: status ${out.instance.status}` : ''})`);
    setTcbInfo(out, inst.tcb_info, inst.eventlog);
    if (out.appCompose === undefined && typeof inst.compose_file === 'string') out.appCompose = inst.compose_file;
    return out;
  }

  // A: GET /cvms/{id}/attestation (the only quote is the RA-TLS end-entity certificate's)
  if ('app_certificates' in json || 'is_online' in json) {
    const out: DstackEvidence = { source: 'phala-cvm-attestation', instance: { name: str(json.name) }, providerError: str(json.error) };
    if (typeof json.is_online === 'boolean') out.online = json.is_online;
    const certs = Array.isArray(json.app_certificates) ? json.app_certificates.filter(isObject) : [];
    const leaf = certs.find((c) => c.position_in_chain === 0 && c.quote) ?? certs.find((c) => c.quote);
    if (leaf && typeof leaf.app_id === 'string') out.instance.appId = leaf.app_id;
    setQuote(out, leaf?.quote, out.online === false ? `the CVM is offline${out.providerError ? ` (${out.providerError})` : ''}` : 'no app certificate carries a quote');
    setTcbInfo(out, json.tcb_info);
    if (out.appCompose === undefined && typeof json.compose_file === 'string' && json.compose_file.trimStart().startsWith('{')) out.appCompose = json.compose_file;
    return out;
  }

  // Guest agent: GetQuote {quote, event_log, vm_config}, or a wrapper holding {quote, tcb_info[, collateral]}
  const holder = findQuoteHolder(json);
  if (holder) {
    const out: DstackEvidence = { source: 'event_log' in holder && !('tcb_info' in holder) ? 'dstack-get-quote' : 'dstack-info', instance: {} };
    setQuote(out, holder.quote, 'quote is null');
    setTcbInfo(out, holder.tcb_info, holder.event_log ?? holder.eventlog);
    out.collateral = normaliseCollateral(holder.collateral);
    try {
      out.vmConfig = jsonObject(holder.vm_config, 'vm_config');
    } catch {
      // vm_config is informative only
    }
    return out;
  }

  // Guest agent Info without a quote: identity claims only
  if ('tcb_info' in json) {
    const out: DstackEvidence = { source: 'dstack-info', instance: { appId: str(json.app_id), instanceId: str(json.instance_id) }, quoteMissing: 'the Info shape carries no quote (ask the guest agent for GetQuote / Attest)' };
    setTcbInfo(out, json.tcb_info);
    return out;
  }
  throw new DstackEvidenceError('attestation: not a dstack / Phala shape (expected instances[], app_certificates / tcb_info, or quote with event_log)');
}
