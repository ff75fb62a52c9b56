// Phala Cloud rules both sides of Temporal need, written once: name and address patterns, and what a CVM's
// `status` means. Pure (type imports only): the provider client, the activities, the sandbox and the workflows read it.
// `status` is a free-form string (provider-notes/phala.md §4.2): the dstack VMM reports running, exited (started,
// then the process died), stopping, stopped, removing; the API adds starting, restarting, updating, creating…
// An operation is in flight when `in_progress` (2025-10-28) is true or `progress.target` (2026-01-21) is set.
import type { WaiterTable } from './cvm';

/** RFC 1123-style CVM names as Phala validates them: 5–63 characters, starts with a letter, no `--`. */
export const PHALA_CVM_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{3,61}[a-zA-Z0-9]$/;

export function isValidPhalaCvmName(name: string): boolean {
  return PHALA_CVM_NAME_PATTERN.test(name) && !name.includes('--');
}

/**
 * What Phala takes as `{cvmId}` (provider-notes/phala.md §2): a vm_uuid with or without dashes, `app_<hex>`, bare
 * 40 hex, a `cvm_…` hashid, a numeric id, an instance id or a name. All are letters, digits, `_` and `-`.
 */
export const PHALA_CVM_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** A 0x-prefixed 20-byte Ethereum address (KMS contract, app, deployer). */
export const ETH_ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;
/** A 0x-prefixed 32-byte transaction hash. */
export const TX_HASH_PATTERN = /^0x[0-9a-fA-F]{64}$/;
/** 32 bytes of hex, 0x optional: an X25519 public key or a compose hash. */
export const HEX32_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;
/** Compose file plus pre-launch script may not exceed this (SDK `MAX_COMPOSE_PAYLOAD_BYTES`). */
export const MAX_COMPOSE_PAYLOAD_BYTES = 200 * 1024;

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

export function statusMatches(status: string, target: string): boolean {
  return status.trim().toLowerCase() === target.trim().toLowerCase();
}

/** A phase at rest: it changes only when someone acts. */
export function phalaPhaseSettled(phase: PhalaPhase): boolean {
  return phase === 'running' || phase === 'stopped' || phase === 'failed' || phase === 'gone';
}

/** What may precede each target (see WaiterTable): start/restart leave `stopped`, stop/shutdown leave `running`. */
export const phalaWaiter: WaiterTable = { running: ['stopped'], stopped: ['running'], gone: ['running', 'stopped'], 'evidence-ready': [] };
