// Each provider's profile: the pure half of its descriptor (the I/O half is its port, src/providers/<name>/port.ts).
// Workflows look things up here instead of branching on the provider's name.
import type { Provider } from '../common';
import { CUDO_VM_ID_PATTERN, cudoWaiter } from './cudo';
import type { CvmAction, WaiterTable } from './cvm';
import { isValidPhalaCvmName, PHALA_CVM_REF_PATTERN, phalaWaiter } from './phala';
import { PRISM_CVM_ID_PATTERN, PRISM_CVM_NAME_PATTERN, prismWaiter } from './prism';

/** A provider's rule for a CVM id or name: checked at the start of every workflow that takes one. */
export interface RefRule {
  test(value: string): boolean;
  /** What is expected, for the error message. */
  expected: string;
}

export interface ProviderProfile {
  /** CVMs have names to find them by (Phala, Prism); CUDO's client-chosen vmId is name and id in one. */
  addressedByName: boolean;
  /** The day-2 actions it has endpoints for (Prism has no power endpoints). */
  actions: readonly CvmAction[];
  /** What a teardown asks first, to stop the CVM gracefully before deleting it; null: nothing to ask. */
  gracefulStop: CvmAction | null;
  /** Why statistics cannot be collected; null when they can. */
  noStatistics: string | null;
  waiter: WaiterTable;
  /** What the provider's API takes as a CVM id (a URL path segment). */
  cvmId: RefRule;
  /** What the provider accepts as a CVM name (CUDO: the vmId). */
  cvmName: RefRule;
}

const rule = (pattern: RegExp, expected: string): RefRule => ({ test: (v) => pattern.test(v), expected });
const CUDO_VM_ID = rule(CUDO_VM_ID_PATTERN, 'a CUDO vmId: 1-63 lowercase letters, digits or -, starting with a letter, not ending with -');

export const PROVIDER_PROFILES: Readonly<Record<Provider, ProviderProfile>> = {
  phala: { addressedByName: true, actions: ['start', 'stop', 'shutdown', 'restart', 'replicate'], gracefulStop: 'shutdown', noStatistics: 'Phala Cloud has no statistics endpoint', waiter: phalaWaiter,
    cvmId: rule(PHALA_CVM_REF_PATTERN, 'a Phala CVM id (vm_uuid, app_<hex>, cvm_<id> or name): 1-100 letters, digits, _ or -'),
    cvmName: { test: isValidPhalaCvmName, expected: 'a Phala CVM name: 5-63 letters, digits or -, starting with a letter, no --' } },
  prism: { addressedByName: true, actions: [], gracefulStop: null, noStatistics: null, waiter: prismWaiter,
    cvmId: rule(PRISM_CVM_ID_PATTERN, 'a Prism CVM id (a UUID): 1-100 letters, digits, _ or -'),
    cvmName: rule(PRISM_CVM_NAME_PATTERN, 'a Prism CVM name: 2-63 lowercase letters, digits or -, not starting with -') },
  cudo: { addressedByName: false, actions: ['start', 'stop', 'reboot', 'resize'], gracefulStop: 'stop', noStatistics: null, waiter: cudoWaiter, cvmId: CUDO_VM_ID, cvmName: CUDO_VM_ID },
};

/** Why a CVM id or name is not one the provider accepts, or undefined when it is. */
export function cvmRefProblem(provider: Provider, kind: 'cvmId' | 'cvmName', value: string): string | undefined {
  const rule = PROVIDER_PROFILES[provider][kind];
  return rule.test(value) ? undefined : `expected ${rule.expected}`;
}
