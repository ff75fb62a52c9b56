// Reports, from inside a workflow, how the bundle's preloaded modules reached it (src/workflows/shared-modules.ts):
// the contract's module record frozen (so it is the one the worker evaluated once and shares, not a fresh
// per-workflow copy), its schemas not frozen by the SDK, and usable.
import { TeardownCvmInputSchema } from '../../../src/contract/teardown';

export interface SharedModulesReport {
  recordShared: boolean;
  schemaFrozen: boolean;
  validParses: boolean;
  invalidMessage: string;
}

export async function sharedModulesProbe(): Promise<SharedModulesReport> {
  const cache = require.cache as Record<string, object | undefined>;
  const record = cache[require.resolve('../../../src/contract/teardown')];
  const invalid = TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1', pollInterval: '1ms' });
  return {
    recordShared: record !== undefined && Object.isFrozen(record),
    schemaFrozen: Object.isFrozen(TeardownCvmInputSchema),
    validParses: TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1' }).success,
    invalidMessage: invalid.success ? '' : invalid.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
  };
}
