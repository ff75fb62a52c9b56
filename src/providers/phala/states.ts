// Phala CVM status classification and one secret-free summary over every response shape.
// `status` is a free-form string (provider-notes/phala.md §4.2): the dstack VMM reports running, exited (started,
// then the process died), stopping, stopped, removing; the API adds starting, restarting, updating, creating…
// An operation is in flight when `in_progress` (2025-10-28) is true or `progress.target` (2026-01-21) is set.
import type { PhalaCommitCvmResponse, PhalaCvmDetail, PhalaCvmListItem, PhalaCvmState, PhalaVm } from './schemas';

export type PhalaPhase = 'running' | 'stopped' | 'gone' | 'failed' | 'transitional' | 'unknown';

const FAILED = new Set(['exited', 'failed', 'error', 'boot_failed', 'crashed']);
const GONE = new Set(['removed', 'deleted', 'terminated']);
const STOPPED = new Set(['stopped']);

export interface PhaseInput {
  status: string;
  inProgress?: boolean | null;
  bootError?: string | null;
}

/**
 * running: `running` with no operation in flight; stopped: `stopped` at rest; failed: exited/failed or a
 * boot error; gone: removed/deleted; transitional: anything in flight or ending in -ing; unknown otherwise.
 */
export function classifyPhalaStatus(input: PhaseInput | string): PhalaPhase {
  const { status, inProgress, bootError } = typeof input === 'string' ? { status: input, inProgress: false, bootError: null } : input;
  const s = status.trim().toLowerCase();
  if (GONE.has(s)) return 'gone';
  if (FAILED.has(s)) return 'failed';
  if (bootError && bootError.trim() !== '' && !inProgress) return 'failed';
  if (inProgress) return 'transitional';
  if (s === 'running') return 'running';
  if (STOPPED.has(s)) return 'stopped';
  if (/ing($|_)/.test(s) || s === 'pending') return 'transitional';
  return 'unknown';
}

export function isTerminalFailure(input: PhaseInput | string): boolean {
  return classifyPhalaStatus(input) === 'failed';
}

export function statusMatches(status: string, target: string): boolean {
  return status.trim().toLowerCase() === target.trim().toLowerCase();
}

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
