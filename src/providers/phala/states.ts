// One secret-free summary of a Phala CVM over every response shape; what its status means is the contract's
// rule (src/contract/rules/phala.ts).
import { classifyPhalaStatus, type PhalaPhase } from '../../contract/rules/phala';
import type { PhalaCommitCvmResponse, PhalaCvmDetail, PhalaCvmListItem, PhalaCvmState, PhalaVm } from './schemas';

/** A secret-free, version-independent view of a CVM, fit for workflow history. */
export interface PhalaCvmSummary {
  /** The best handle to address this CVM later: vm_uuid (dashless) > hashid > numeric id > app_<app_id>. */
  ref: string;
  /** The id as the API gave it, as a string; null for the numeric 0 sentinel of 2026-01-21 lifecycle answers. */
  id: string | null;
  name: string;
  status: string;
  phase: PhalaPhase;
  appId: string | null;
  vmUuid: string | null;
  instanceId: string | null;
  inProgress: boolean;
  progressTarget: string | null;
  bootError: string | null;
  nodeId: number | null;
  encryptedEnvPubkey: string | null;
  composeHash: string | null;
}

type AnyCvm = PhalaVm | PhalaCvmDetail | PhalaCvmListItem | PhalaCommitCvmResponse | PhalaCvmState;

function s(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function n(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

export function summarizeCvm(raw: AnyCvm): PhalaCvmSummary {
  const r = raw as Record<string, unknown>;
  const hosted = (r.hosted ?? null) as Record<string, unknown> | null;
  const progress = (r.progress ?? null) as { target?: unknown } | null;
  const kms = (r.kms_info ?? null) as { encrypted_env_pubkey?: unknown } | null;
  const teepod = (r.teepod ?? r.node ?? r.node_info ?? null) as { id?: unknown } | null;
  const rawId = r.id;
  const id = rawId === 0 || rawId === null || rawId === undefined ? null : String(rawId);
  const vmUuid = s(r.vm_uuid) ?? s(hosted?.id);
  const appId = s(r.app_id) ?? s(hosted?.app_id);
  const progressTarget = s(progress?.target);
  const inProgress = r.in_progress === true || progressTarget !== null;
  const bootError = s(r.boot_error) ?? s(hosted?.boot_error);
  const status = String(r.status ?? hosted?.status ?? 'unknown');
  const uuidRef = vmUuid ? vmUuid.replace(/-/g, '') : null;
  const ref = uuidRef ?? (id && !/^\d+$/.test(id) ? id : null) ?? id ?? (appId ? `app_${appId.replace(/^0x/i, '')}` : String(r.name));
  return {
    ref,
    id,
    name: String(r.name),
    status,
    phase: classifyPhalaStatus({ status, inProgress, bootError }),
    appId,
    vmUuid,
    instanceId: s(r.instance_id) ?? s(hosted?.instance_id),
    inProgress,
    progressTarget,
    bootError,
    nodeId: n(r.teepod_id) ?? n(r.node_id) ?? n(teepod?.id),
    encryptedEnvPubkey: s(r.encrypted_env_pubkey) ?? s(kms?.encrypted_env_pubkey),
    composeHash: s(r.compose_hash),
  };
}

const kindPart = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

/** A `GET /cvms/{id}` answer as a wait reads it: the summary, the machine kind and when the operation began. */
export interface PhalaCvmLook {
  cvm: PhalaCvmSummary;
  /** Instance type, vCPUs and node (boots of one kind take about as long); flat (2025-10-28) or under `resource` (2026-01-21+). */
  kind: string;
  /** While an operation is in progress, when it began (epoch ms, Phala's clock; `progress.started_at`), if the answer says. */
  startedAt?: number;
}

export function lookAtPhalaCvm(raw: AnyCvm): PhalaCvmLook {
  const r = raw as Record<string, unknown> & { resource?: Record<string, unknown> };
  const cvm = summarizeCvm(raw);
  const kind = `${kindPart(r.instance_type ?? r.resource?.instance_type)}/${kindPart(r.vcpu ?? r.resource?.vcpu)}/${kindPart(cvm.nodeId)}`;
  const at = cvm.inProgress ? (r.progress as { started_at?: unknown } | null | undefined)?.started_at : undefined;
  const t = typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isFinite(t) ? { cvm, kind, startedAt: t } : { cvm, kind };
}
