// `teardownCvm`: a durable timer until the teardown time, then graceful stop → delete → confirm gone.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { boundedDuration, InstantSchema, CvmRefSchema, ProviderSchema } from './common';
import { cvmRefProblem, PROVIDER_PROFILES } from './rules/profiles';
import { strictObject } from './strict';

const DAY_MS = 86_400_000;
/** The latest a teardown may be scheduled, from now, unless the input sets `maxLease`: one year. */
export const DEFAULT_MAX_LEASE = '366d';
/** The highest `maxLease` a caller may set: ten years. */
export const MAX_LEASE_LIMIT_MS = 3660 * DAY_MS;

/** teardownAt no later than maxLease from now, or the reason it is not. */
export function leaseProblem(teardownAt: string, maxLeaseMs: number, now: number): string | undefined {
  const latest = now + maxLeaseMs;
  const at = Date.parse(teardownAt);
  if (!Number.isFinite(at) || at <= latest) return undefined; // an unreadable time has its own error
  return `must be at most maxLease (${Math.round(maxLeaseMs / DAY_MS)}d) from now, i.e. no later than ${new Date(latest).toISOString()}`;
}


export const TeardownCvmInputSchema = strictObject({
  provider: ProviderSchema,
  /** The provider's id for the CVM (Phala vm_uuid/id, Prism id, CUDO vmId). */
  cvmId: CvmRefSchema.optional(),
  /** The CVM's name; enough for Phala and Prism when the id is not known. */
  cvmName: CvmRefSchema.optional(),
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
  /** The latest teardownAt (and extendTeardown) may be, from now: a CVM is never leased for ever by mistake. */
  maxLease: boundedDuration(60_000, MAX_LEASE_LIMIT_MS, '1m and 3660d').prefault(DEFAULT_MAX_LEASE),
})
  .refine((v) => v.cvmId !== undefined || v.cvmName !== undefined, { message: 'give cvmId or cvmName', path: ['cvmId'] })
  .refine((v) => PROVIDER_PROFILES[v.provider].addressedByName || v.cvmId !== undefined, { message: 'CUDO VMs are addressed by cvmId (the vmId)', path: ['cvmId'] })
  .superRefine((v, ctx) => {
    for (const kind of ['cvmId', 'cvmName'] as const) {
      const problem = v[kind] !== undefined ? cvmRefProblem(v.provider, kind, v[kind]) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [kind], message: problem });
    }
    const late = v.teardownAt !== undefined ? leaseProblem(v.teardownAt, v.maxLease, Date.now()) : undefined;
    if (late) ctx.addIssue({ code: 'custom', path: ['teardownAt'], message: late });
  });
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

export const ExtendTeardownSchema = strictObject({ teardownAt: InstantSchema });
export type ExtendTeardown = z.infer<typeof ExtendTeardownSchema>;
export const CancelTeardownSchema = strictObject({ reason: z.string().max(200).default('cancelled') });

/** Moves the teardown time (later or earlier, not into the past); answers the new time. */
export const extendTeardownUpdate = defineUpdate<{ teardownAt: string }, [ExtendTeardown]>('extendTeardown');
/** Cancels the teardown: the workflow completes with outcome `cancelled` and the CVM is left running. */
export const cancelTeardownSignal = defineSignal<[z.input<typeof CancelTeardownSchema>?]>('cancelTeardown');
export const teardownAtQuery = defineQuery<string>('teardownAt');
