// What every provider's CVM looks like to a workflow, and how one wait reads it. Pure (no runtime imports):
// the provider ports fill these shapes in, `awaitCvmState` asks `decideWait`, and workflows read the results.
import type { Provider } from '../common';
import { FailureTypes } from '../failures';

/** A CVM's state in cvmflow's words; each provider's rules map its own status words onto these. */
export type CvmStateClass = 'running' | 'stopped' | 'gone' | 'failed' | 'transitional' | 'unknown';

/** What a wait can wait for: a state class, or (Prism) online with its boot-time evidence present. */
export const CVM_TARGETS = ['running', 'stopped', 'gone', 'evidence-ready'] as const;
export type CvmTarget = (typeof CVM_TARGETS)[number];

/** Day-2 actions a CVM may support (which ones, per provider: PROVIDER_PROFILES). */
export const CVM_ACTIONS = ['start', 'stop', 'shutdown', 'restart', 'reboot', 'resize', 'replicate'] as const;
export type CvmAction = (typeof CVM_ACTIONS)[number];

/** One observation of a CVM, the same shape for every provider: what every wait and workflow decides on. */
export interface CvmObservation {
  provider: Provider;
  cvmId: string;
  class: CvmStateClass;
  /** The provider's own word (`starting`, `ACTIVE`, `Online`, `404`). */
  status: string;
  /** At rest: the state will not change unless someone acts (CUDO `settled`, Prism `terminal`, Phala at rest). */
  settled: boolean;
  /** Prism: online with boot-time evidence present. */
  evidenceReady: boolean;
  /** Why it is in this state, when the provider says (Phala boot_error, CUDO state text). */
  detail?: string;
  /** A few provider fields worth keeping (ids, addresses); never secrets. */
  facts: Record<string, string | number | boolean | null>;
}

/** One CVM as a provider lists it. `key` is what its lifecycle workflow id is made of (name, or CUDO vmId). */
export interface CvmListing {
  provider: Provider;
  key: string;
  cvmId: string;
  name: string | null;
  class: CvmStateClass;
  status: string;
  evidenceReady: boolean;
  /** CUDO: the VM carries cvmflow's managed-by mark. */
  marked: boolean;
  /** CUDO: `cvmflow-expires-at` metadata, when present. */
  expiresAt: string | null;
  /** Creation time as the provider says, for choosing among CVMs of one name. */
  createdAt: string | null;
}

/**
 * A provider's waiter table, in the spirit of Terraform's state-change waiters. For each target, the settled
 * classes that may still lead to it: the states our own request starts from (a stopped CVM we asked to start is
 * still `stopped` at the first look). Unsettled states (booting, stopping, unknown words) are always pending;
 * `failed` always fails, `gone` fails unless it is the target, and any other settled state fails at once, named,
 * instead of being polled until the deadline.
 */
export type WaiterTable = Record<CvmTarget, readonly CvmStateClass[]>;

type WaitFailure = typeof FailureTypes.CvmFailed | typeof FailureTypes.CvmGone | typeof FailureTypes.CvmSettled;
export type WaitDecision = { kind: 'reached' } | { kind: 'pending' } | { kind: 'failed'; type: WaitFailure; message: string };

export function reachedTarget(o: Pick<CvmObservation, 'class' | 'evidenceReady'>, target: CvmTarget): boolean {
  return target === 'evidence-ready' ? o.evidenceReady : o.class === target;
}

export function decideWait(waiter: WaiterTable, target: CvmTarget, o: CvmObservation): WaitDecision {
  if (reachedTarget(o, target)) return { kind: 'reached' };
  const what = `${o.provider} CVM ${o.cvmId} is ${o.status}${o.detail ? ` (${o.detail})` : ''}`;
  if (o.class === 'failed') return { kind: 'failed', type: FailureTypes.CvmFailed, message: `${what} while waiting for ${target}` };
  if (o.class === 'gone') return { kind: 'failed', type: FailureTypes.CvmGone, message: `${what} while waiting for ${target}` };
  if (!o.settled || waiter[target].includes(o.class)) return { kind: 'pending' };
  return { kind: 'failed', type: FailureTypes.CvmSettled, message: `${what}: settled there while waiting for ${target}, and it will not get there by itself` };
}

/**
 * The one "find by name" rule: the CVMs of exactly that name that are not gone, live ones before failed ones,
 * newest first. Providers whose name filter is a partial match (Prism) filter through this.
 */
export function rankByName<T extends Pick<CvmListing, 'name' | 'class' | 'createdAt'>>(items: readonly T[], name: string): T[] {
  const time = (t: string | null) => (t ? Date.parse(t) || 0 : 0);
  return items
    .filter((i) => i.name === name && i.class !== 'gone')
    .sort((a, b) => Number(a.class === 'failed') - Number(b.class === 'failed') || time(b.createdAt) - time(a.createdAt));
}
