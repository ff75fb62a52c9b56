// Prism rules both sides of Temporal need, written once: the one description of Prism CVM states that every wait
// asks. Prism publishes no status enum; the values come from its docs (Creating, Starting, Online, Offline; Inactive after delete;
// "Ready"), the Cocos manager (Starting, Stopped, Warning, Disconnected, Failed) and the docs' sample ("running"). Compared case-insensitively; anything else is
// `unknown` with the raw value kept. No runtime imports: this file is pure so any layer can use it.
import type { WaiterTable } from './cvm';

export type PrismStateClass = 'running' | 'transitional' | 'stopped' | 'failed' | 'gone' | 'unknown';

export const prismStates = {
  /** Up: the agent is connected. */
  running: ['online', 'running', 'ready'],
  /** Being set up or booting; keep waiting. */
  transitional: ['creating', 'starting', 'provisioning', 'pending', 'booting'],
  /** Exists but not available (may come back, but a wait for "running" should stop). */
  stopped: ['offline', 'stopped', 'disconnected'],
  /** Failed to provision or boot. */
  failed: ['failed', 'error'],
  /** Deleted: Prism keeps the record with status Inactive and a non-zero deleted_at. */
  gone: ['inactive', 'deleted', 'removed', 'terminated'],
} as const satisfies Record<Exclude<PrismStateClass, 'unknown'>, readonly string[]>;

/** Prism CVM ids are UUIDs; accepted as letters, digits, `_` and `-` so another id form is not refused. */
export const PRISM_CVM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
/** Prism CVM names as cvmflow creates them: 2-63 lowercase letters, digits or -, not starting with -. */
export const PRISM_CVM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Go's zero time.Time, which Prism returns as `deleted_at` while a CVM is not deleted. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** True when a timestamp is absent or Go's zero time (any precision or offset of year 1). */
export function isZeroTime(value: string | null | undefined): boolean {
  if (value === undefined || value === null || value.trim() === '') return true;
  return /^0001-01-01T00:00:00(\.0+)?(Z|[+-]00:00)$/.test(value.trim());
}

export function classifyPrismStatus(status: string | null | undefined): PrismStateClass {
  const s = (status ?? '').trim().toLowerCase();
  for (const cls of ['running', 'transitional', 'stopped', 'failed', 'gone'] as const) {
    if ((prismStates[cls] as readonly string[]).includes(s)) return cls;
  }
  return 'unknown';
}

export interface PrismCvmLike {
  status: string;
  deleted_at?: string | null;
  attestation?: string | null;
}

export interface PrismLifecycle {
  class: PrismStateClass;
  /** The raw status as Prism sent it. */
  status: string;
  deleted: boolean;
  /** Online and the agent has pushed its boot-time attestation: the moment to fetch evidence. */
  evidenceReady: boolean;
  /** A wait for "running" should stop: failed, stopped or gone. */
  terminal: boolean;
}

export function prismLifecycle(cvm: PrismCvmLike): PrismLifecycle {
  const deleted = !isZeroTime(cvm.deleted_at);
  const cls: PrismStateClass = deleted ? 'gone' : classifyPrismStatus(cvm.status);
  return {
    class: cls,
    status: cvm.status,
    deleted,
    evidenceReady: cls === 'running' && typeof cvm.attestation === 'string' && cvm.attestation.length > 0,
    terminal: cls === 'failed' || cls === 'stopped' || cls === 'gone',
  };
}

/** Prism allows two CVMs of one name and its name filter matches parts of names: this is the one rule for "a live
 * CVM of exactly this name" (not deleted, not failed), used by the activities and the workflows alike. */
export function isLivePrismCvmNamed(cvm: PrismCvmLike & { name: string }, name: string): boolean {
  const cls = prismLifecycle(cvm).class;
  return cvm.name === name && cls !== 'gone' && cls !== 'failed';
}

/** What may precede each target (see WaiterTable). A CVM that is Offline, Stopped or Failed does not come Online by
 * itself, so a wait for it fails at once; after a delete it may show Offline before Inactive. */
export const prismWaiter: WaiterTable = { running: [], stopped: [], gone: ['stopped'], 'evidence-ready': [] };
