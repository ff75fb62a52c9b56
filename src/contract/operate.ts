// `operateCvm`: one audited day-2 action, waiting for the resulting state.
import { z } from 'zod';
import { boundedDuration, CvmRefSchema, PROVIDERS, ProviderSchema, type Provider } from './common';
import { CVM_ACTIONS, type CvmAction } from './rules/cvm';
import { cvmRefProblem, PROVIDER_PROFILES } from './rules/profiles';
import { strictObject } from './strict';

export { CVM_ACTIONS, type CvmAction };
export const CvmActionSchema = z.enum(CVM_ACTIONS, { message: `expected one of ${CVM_ACTIONS.join(', ')}` });

/** Which provider supports which action (Prism has no power endpoints). */
export const ACTIONS_BY_PROVIDER: Record<Provider, readonly CvmAction[]> = { phala: PROVIDER_PROFILES.phala.actions, prism: PROVIDER_PROFILES.prism.actions, cudo: PROVIDER_PROFILES.cudo.actions };
const supported = PROVIDERS.map((p) => `${p}: ${ACTIONS_BY_PROVIDER[p].join(', ') || 'none'}`).join('; ');

export const OperateCvmInputSchema = strictObject({
  provider: ProviderSchema,
  cvmId: CvmRefSchema,
  action: CvmActionSchema,
  /** restart: skip the graceful shutdown (Phala). */
  force: z.boolean().default(false),
  /** resize (CUDO). */
  vcpus: z.number().int().min(1).max(512).optional(),
  memoryGib: z.number().int().min(1).max(4096).optional(),
  /** replicate (Phala): the node for the replica. */
  nodeId: z.number().int().min(0).optional(),
  /** Who asked and why: recorded in the workflow for audit. */
  requestedBy: z.string().max(200).default('unknown'),
  reason: z.string().max(500).optional(),
  /** Makes the request idempotent: the same id attaches to the same workflow. */
  requestId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 letters, digits, . _ -').optional(),
  waitDeadline: boundedDuration(1_000, 86_400_000, '1s and 1d').prefault('15m'),
  pollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('5s'),
  providerCallTimeout: boundedDuration(1_000, 600_000, '1s and 10m').prefault('90s'),
})
  .refine((v) => ACTIONS_BY_PROVIDER[v.provider].includes(v.action), { message: `this provider does not support that action (${supported})`, path: ['action'] })
  .refine((v) => v.action !== 'resize' || (v.vcpus !== undefined && v.memoryGib !== undefined), { message: 'resize needs vcpus and memoryGib', path: ['vcpus'] })
  .superRefine((v, ctx) => {
    const problem = cvmRefProblem(v.provider, 'cvmId', v.cvmId);
    if (problem) ctx.addIssue({ code: 'custom', path: ['cvmId'], message: problem });
  });
export type OperateCvmInput = z.input<typeof OperateCvmInputSchema>;
export type OperateCvmParams = z.output<typeof OperateCvmInputSchema>;

export const OperateCvmResultSchema = z.object({
  provider: ProviderSchema,
  cvmId: z.string(),
  action: CvmActionSchema,
  /** The state the action ended in (provider's word), or the replica's id for replicate. */
  finalStatus: z.string(),
  replicaId: z.string().nullable(),
  requestedBy: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type OperateCvmResult = z.infer<typeof OperateCvmResultSchema>;
