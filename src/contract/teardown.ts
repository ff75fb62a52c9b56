// `teardownCvm`: a durable timer until the teardown time, then graceful stop → delete → confirm gone.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { boundedDuration, InstantSchema, ProviderSchema } from './common';
import { PROVIDER_PROFILES } from './rules/profiles';

export const TeardownCvmInputSchema = z
  .object({
    provider: ProviderSchema,
    /** The provider's id for the CVM (Phala vm_uuid/id, Prism id, CUDO vmId). */
    cvmId: z.string().min(1).optional(),
    /** The CVM's name; enough for Phala and Prism when the id is not known. */
    cvmName: z.string().min(1).optional(),
    /** When to tear down; omitted or in the past means now. */
    teardownAt: InstantSchema.optional(),
    /** Bound on the graceful shutdown/stop before deleting anyway. */
    gracefulTimeout: boundedDuration(0, 3_600_000, '0s and 1h').prefault('5m'),
    /** How long deletion may take to be confirmed. */
    goneDeadline: boundedDuration(1_000, 86_400_000, '1s and 1d').prefault('15m'),
    pollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('5s'),
    providerCallTimeout: boundedDuration(1_000, 600_000, '1s and 10m').prefault('90s'),
    /** Why (recorded in the UI): `ttl`, `manual`, `reconcile`, ... */
    reason: z.string().max(200).default('manual'),
  })
  .refine((v) => v.cvmId !== undefined || v.cvmName !== undefined, { message: 'give cvmId or cvmName', path: ['cvmId'] })
  .refine((v) => PROVIDER_PROFILES[v.provider].addressedByName || v.cvmId !== undefined, { message: 'CUDO VMs are addressed by cvmId (the vmId)', path: ['cvmId'] });
export type TeardownCvmInput = z.input<typeof TeardownCvmInputSchema>;
export type TeardownCvmParams = z.output<typeof TeardownCvmInputSchema>;

export const TeardownCvmResultSchema = z.object({
  provider: ProviderSchema,
  cvmId: z.string().nullable(),
  cvmName: z.string().nullable(),
  outcome: z.enum(['deleted', 'already-gone', 'cancelled']),
  teardownAt: z.string(),
  finishedAt: z.string(),
  cancelReason: z.string().nullable(),
});
export type TeardownCvmResult = z.infer<typeof TeardownCvmResultSchema>;

export const ExtendTeardownSchema = z.object({ teardownAt: InstantSchema });
export type ExtendTeardown = z.infer<typeof ExtendTeardownSchema>;
export const CancelTeardownSchema = z.object({ reason: z.string().max(200).default('cancelled') });

/** Moves the teardown time (later or earlier, not into the past); answers the new time. */
export const extendTeardownUpdate = defineUpdate<{ teardownAt: string }, [ExtendTeardown]>('extendTeardown');
/** Cancels the teardown: the workflow completes with outcome `cancelled` and the CVM is left running. */
export const cancelTeardownSignal = defineSignal<[z.input<typeof CancelTeardownSchema>?]>('cancelTeardown');
export const teardownAtQuery = defineQuery<string>('teardownAt');
