// Each provider's profile: the pure half of its descriptor (the I/O half is its port, src/providers/<name>/port.ts).
// Workflows look things up here instead of branching on the provider's name.
import type { Provider } from '../common';
import { cudoWaiter } from './cudo';
import type { CvmAction, WaiterTable } from './cvm';
import { phalaWaiter } from './phala';
import { prismWaiter } from './prism';

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
}

export const PROVIDER_PROFILES: Readonly<Record<Provider, ProviderProfile>> = {
  phala: { addressedByName: true, actions: ['start', 'stop', 'shutdown', 'restart', 'replicate'], gracefulStop: 'shutdown', noStatistics: 'Phala Cloud has no statistics endpoint', waiter: phalaWaiter },
  prism: { addressedByName: true, actions: [], gracefulStop: null, noStatistics: null, waiter: prismWaiter },
  cudo: { addressedByName: false, actions: ['start', 'stop', 'reboot', 'resize'], gracefulStop: 'stop', noStatistics: null, waiter: cudoWaiter },
};
