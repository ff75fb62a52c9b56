// Fleet workflows, run by Temporal Schedules: `reconcileFleet`, `collectCvmStatistics`, `reattestCvms`.
// Pure (zod only): imported by workflows, client and CLI.
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { VerdictResultSchema, type VerdictResult } from '../attestation/verdict';
import { boundedDuration, PROVIDERS, ProviderSchema } from './common';
import { strictObject } from './strict';
import { PinnedPolicySchema } from './prism';

export const FLEET_WORKFLOW_TYPES = ['reconcileFleet', 'collectCvmStatistics', 'reattestCvms'] as const;
export type FleetWorkflowType = (typeof FLEET_WORKFLOW_TYPES)[number];

/**
 * How much of the fleet one run may destroy: at most `maxPercent` of the CVMs it looked at and, when set,
 * `maxCount`; always at least one. Beyond it the run stops acting, reports what it did and would have done,
 * and fails with `BlastRadiusExceeded` (as a Kubernetes disruption budget refuses an eviction).
 */
export const BlastRadiusSchema = strictObject({
  maxPercent: z.number().min(0, 'blastRadius.maxPercent must be between 0 and 100').max(100, 'blastRadius.maxPercent must be between 0 and 100').default(10),
  maxCount: z.number().int().min(1, 'blastRadius.maxCount must be at least 1').optional(),
});
export type BlastRadius = z.output<typeof BlastRadiusSchema>;

/** The number of destructive actions a run over `fleetSize` CVMs may take. */
export function blastRadiusAllowance(limit: BlastRadius, fleetSize: number): number {
  const share = Math.floor((fleetSize * limit.maxPercent) / 100);
  return Math.max(1, Math.min(share, limit.maxCount ?? Number.POSITIVE_INFINITY));
}

const fleetCommon = {
  /** The providers to look at; a provider the worker has not configured is skipped and reported. */
  providers: z.array(ProviderSchema).min(1).default([...PROVIDERS]),
  providerCallTimeout: boundedDuration(1_000, 600_000, '1s and 10m').prefault('90s'),
};

export const ReconcileFleetInputSchema = strictObject({
  ...fleetCommon,
  /** Start `teardownCvm` for CVMs cvmflow created whose lease expired (false: report only). */
  teardownExpired: z.boolean().default(true),
  /** Poll interval and graceful-stop bound handed to the teardowns this run starts. */
  teardownPollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('5s'),
  gracefulTimeout: boundedDuration(0, 3_600_000, '0s and 1h').prefault('5m'),
  /** How many of the managed CVMs one run may tear down (default 10%, at least 1); beyond it the run fails. */
  blastRadius: BlastRadiusSchema.prefault({}),
  /** A run continues as new after an action once its history has this many events (or Temporal suggests it). */
  continueAsNewAfterEvents: z.number().int().min(1, 'continueAsNewAfterEvents must be between 1 and 40000').max(40_000, 'continueAsNewAfterEvents must be between 1 and 40000').default(4_000),
  /** Set by the workflow itself when it continues as new: where the previous run stopped and what it found. */
  continuation: z.lazy(() => ReconcileContinuationSchema).optional(),
});
export type ReconcileFleetInput = z.input<typeof ReconcileFleetInputSchema>;
export type ReconcileFleetParams = z.output<typeof ReconcileFleetInputSchema>;

const cvmRef = { provider: ProviderSchema, key: z.string(), cvmId: z.string().nullable(), name: z.string().nullable() };

export const ReconcileFleetResultSchema = z.object({
  checkedAt: z.string(),
  providers: z.record(z.string(), z.object({ listed: z.number().int(), skipped: z.string().nullable() })),
  /** CVMs cvmflow created (a lifecycle workflow, or CUDO's managed-by mark) still present at the provider. */
  managed: z.number().int(),
  /** Expired leases: a `teardownCvm` was started (or would be, with teardownExpired false; or was refused, the
   * blast-radius limit being reached: the run then fails with this result in its details). */
  expired: z.array(z.object({ ...cvmRef, leaseExpiredAt: z.string(), teardownWorkflowId: z.string(), action: z.enum(['teardown-started', 'teardown-already-running', 'report-only', 'refused-blast-radius']) })),
  /** CVMs at a provider that cvmflow has no lifecycle record of: reported, never touched. `marked`: CUDO's
   * managed-by=cvmflow mark is present (created by cvmflow, record lost). `namesake`: a cvmflow lifecycle of the
   * same name recorded another CVM id, so this one is a stranger that shares the name. */
  orphans: z.array(z.object({ ...cvmRef, status: z.string(), marked: z.boolean(), namesake: z.boolean().optional() })),
  /** Lifecycle records whose CVM is gone at the provider without a cvmflow teardown. */
  missing: z.array(z.object({ ...cvmRef, workflowId: z.string() })),
});
export type ReconcileFleetResult = z.infer<typeof ReconcileFleetResultSchema>;

/** What a `reconcileFleet` run hands to its continuation: CVMs are visited in a fixed order and `after` is the last
 * one done; the budget's use carries over, so continuing does not reset the blast-radius limit. */
export const ReconcileContinuationSchema = z.object({
  checkedAt: z.string(),
  after: z.object({ provider: ProviderSchema, key: z.string(), cvmId: z.string() }),
  fleetSize: z.number().int().min(0),
  acted: z.number().int().min(0),
  refused: z.array(z.string()),
  result: ReconcileFleetResultSchema,
});
export type ReconcileContinuation = z.infer<typeof ReconcileContinuationSchema>;

export const CollectCvmStatisticsInputSchema = strictObject({
  ...fleetCommon,
  /** Phala has no statistics endpoint, so only Prism and CUDO by default. */
  providers: z.array(ProviderSchema).min(1).default(['prism', 'cudo']),
  /** Prism statistics window in days. */
  days: z.number().int().min(1).max(90).default(1),
});
export type CollectCvmStatisticsInput = z.input<typeof CollectCvmStatisticsInputSchema>;
export type CollectCvmStatisticsParams = z.output<typeof CollectCvmStatisticsInputSchema>;

export const CvmStatisticsSchema = z.object({
  provider: ProviderSchema,
  cvmId: z.string(),
  name: z.string().nullable(),
  samples: z.number().int(),
  /** Prism: heartbeats online / offline in the window. */
  onlineSamples: z.number().int().nullable(),
  offlineSamples: z.number().int().nullable(),
  /** CUDO monitor: mean and max CPU (percent) over the samples. */
  cpuAvg: z.number().nullable(),
  cpuMax: z.number().nullable(),
  latestAt: z.string().nullable(),
  error: z.string().nullable(),
});
export type CvmStatistics = z.infer<typeof CvmStatisticsSchema>;

export const CollectCvmStatisticsResultSchema = z.object({
  collectedAt: z.string(),
  providers: z.record(z.string(), z.object({ running: z.number().int(), skipped: z.string().nullable() })),
  cvms: z.array(CvmStatisticsSchema),
});
export type CollectCvmStatisticsResult = z.infer<typeof CollectCvmStatisticsResultSchema>;

/** An attestation verdict: `failed` means a check ran and said no; `undetermined` that it could not run. */
export const AttestationResultSchema = VerdictResultSchema;
export type AttestationResult = VerdictResult;

export const ReattestCvmsInputSchema = strictObject({
  /** Prism and Phala CVMs (CUDO VMs carry no attestation). */
  providers: z.array(z.enum(['prism', 'phala'], { message: 'expected prism or phala (CUDO VMs carry no attestation)' })).min(1).default(['prism', 'phala']),
  providerCallTimeout: boundedDuration(1_000, 600_000, '1s and 10m').prefault('90s'),
  /** Prism: verify against this policy (Cocos/go-sev-guest JSON) instead of the one Prism serves per CVM. */
  policy: PinnedPolicySchema.optional(),
  /**
   * Tear down a CVM cvmflow created (its provider id recorded by the lifecycle) whose attestation now `failed`,
   * once a second, independent fetch and verification `confirmAfter` later says `failed` again. Never on
   * `undetermined`; at most `blastRadius` of the CVMs looked at per run.
   */
  teardownOnChange: z.boolean().default(false),
  confirmAfter: boundedDuration(0, 86_400_000, '0s and 1d').prefault('5m'),
  blastRadius: BlastRadiusSchema.prefault({}),
});
export type ReattestCvmsInput = z.input<typeof ReattestCvmsInputSchema>;
export type ReattestCvmsParams = z.output<typeof ReattestCvmsInputSchema>;

export const ReattestedCvmSchema = z.object({
  /** Absent in results recorded before Phala was covered (Prism then). */
  provider: z.enum(['prism', 'phala']).optional(),
  cvmId: z.string(),
  name: z.string(),
  /** Created by a cvmflow lifecycle that recorded this provider id (same-named strangers are not managed). */
  managed: z.boolean(),
  /** The verdict of the previous run, else `verified` for a managed CVM (verified at creation), else null. */
  previous: AttestationResultSchema.nullable().optional(),
  result: AttestationResultSchema.optional(),
  /** A `failed` managed CVM checked again `confirmAfter` later: true when it failed again (null: not checked again). */
  confirmed: z.boolean().nullable().optional(),
  action: z.enum(['none', 'teardown-started', 'teardown-already-running', 'refused-blast-radius', 'report-only']).optional(),
  /** Kept for older callers: `result === 'verified'`, and the previous verdict as a boolean. */
  previouslyVerified: z.boolean().nullable(),
  verified: z.boolean(),
  changed: z.boolean(),
  failures: z.array(z.string()),
  teardownWorkflowId: z.string().nullable(),
});
export type ReattestedCvm = z.infer<typeof ReattestedCvmSchema>;

export const ReattestCvmsResultSchema = z.object({
  checkedAt: z.string(),
  /** Why Prism was skipped (older results); see `providers` for each provider. */
  skipped: z.string().nullable(),
  providers: z.record(z.string(), z.object({ listed: z.number().int(), skipped: z.string().nullable() })).optional(),
  cvms: z.array(ReattestedCvmSchema),
  changed: z.number().int(),
  verified: z.number().int().optional(),
  failed: z.number().int().optional(),
  undetermined: z.number().int().optional(),
  tornDown: z.number().int().optional(),
  /** The blast-radius limit of this run: teardowns allowed, taken, refused. */
  blastRadius: z.object({ allowed: z.number().int(), taken: z.number().int(), refused: z.number().int() }).optional(),
});
export type ReattestCvmsResult = z.infer<typeof ReattestCvmsResultSchema>;

/** A workflow execution as visibility lists it (what `listCvmflowWorkflows` returns). */
export interface CvmflowWorkflowRecord {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  provider: string | null;
  cvmName: string | null;
  cvmId: string | null;
  step: string | null;
  teardownAt: string | null;
}

/** What a fleet workflow answers to the `status` query (same query name as the CVM workflows). */
export interface FleetWorkflowStatus {
  workflowType: string;
  step: string;
  history: Array<{ step: string; at: string }>;
}
export const fleetStatusQuery = defineQuery<FleetWorkflowStatus>('status');
