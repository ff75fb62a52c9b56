// `operateCvm`: one audited day-2 action, waiting for the resulting state.
import { z } from 'zod';
import { boundedDuration, ProviderSchema } from './common';

export const CVM_ACTIONS = ['start', 'stop', 'shutdown', 'restart', 'reboot', 'resize', 'replicate'] as const;
export const CvmActionSchema = z.enum(CVM_ACTIONS, { message: `expected one of ${CVM_ACTIONS.join(', ')}` });
export type CvmAction = z.infer<typeof CvmActionSchema>;

/** Which provider supports which action (Prism has no power endpoints). */
export const ACTIONS_BY_PROVIDER: Record<'phala' | 'prism' | 'cudo', readonly CvmAction[]> = {
  phala: ['start', 'stop', 'shutdown', 'restart', 'replicate'],
  prism: [],
  cudo: ['start', 'stop', 'reboot', 'resize'],
};

export const OperateCvmInputSchema = z
  .object({
    provider: ProviderSchema,
    cvmId: z.string().min(1),
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
  .refine((v) => ACTIONS_BY_PROVIDER[v.provider].includes(v.action), { message: 'this provider does not support that action (Phala: start, stop, shutdown, restart, replicate; CUDO: start, stop, reboot, resize; Prism: none)', path: ['action'] })
  .refine((v) => v.action !== 'resize' || (v.vcpus !== undefined && v.memoryGib !== undefined), { message: 'resize needs vcpus and memoryGib', path: ['vcpus'] });
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
