// `createCudoVm`: GET before create (client-chosen vmId) → create → reconcile → ACTIVE.
import { z } from 'zod';
import { boundedDuration, LifecycleCommonSchema, SecretRefSchema } from './common';
import { CUDO_CATALOG_ID_PATTERN, CUDO_MANAGED_BY, CUDO_MANAGED_BY_VALUE, CUDO_VM_ID_PATTERN, CUDO_WORKFLOW_ID } from './rules/cudo';
import { strictObject } from './strict';

const catalogId = (what: string) => z.string().min(1, { message: `required: ${what}`, abort: true }).regex(CUDO_CATALOG_ID_PATTERN, `expected ${what}: 1-100 letters, digits, . _ -`);
/** Metadata entries a VM may carry (CUDO keeps them as labels), besides cvmflow's own marks. */
export const MAX_CUDO_METADATA = 32;

export const CreateCudoVmInputSchema = strictObject({
  /** Client-chosen and unique per project: the VM's id and the workflow id. */
  vmId: z.string().regex(CUDO_VM_ID_PATTERN, 'expected 1-63 lowercase letters, digits or -, starting with a letter, not ending with -'),
  dataCenterId: catalogId('a data center id from `cudoListDataCenters`'),
  machineType: catalogId('a machine type from `cudoListMachineTypes`'),
  bootDiskImageId: catalogId('an image id from `cudoListPublicImages` or a private image'),
  vcpus: z.number().int().min(1).max(512),
  memoryGib: z.number().int().min(1).max(4096),
  gpus: z.number().int().min(0).max(16).default(0),
  gpuModel: z.string().min(1).max(128).optional(),
  bootDiskSizeGib: z.number().int().min(1).max(65_536).optional(),
  sshKeys: z.array(z.string().max(16 * 1024).regex(/^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, 'expected an OpenSSH public key')).max(32).default([]),
  /** A VM password by reference (resolved inside the activity, never in history). */
  passwordRef: SecretRefSchema.optional(),
  startScript: z.string().max(64 * 1024).optional(),
  securityGroupIds: z.array(catalogId('a security group id')).max(32).default([]),
  metadata: z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'metadata keys: 1-63 letters, digits, . _ -'), z.string().max(256))
    .refine((m) => Object.keys(m).length <= MAX_CUDO_METADATA, `at most ${MAX_CUDO_METADATA} entries`)
    .default({}),
  activeDeadline: boundedDuration(1_000, 86_400_000, '1s and 1d').prefault('20m'),
  pollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('5s'),
  ...LifecycleCommonSchema,
});
export type CreateCudoVmInput = z.input<typeof CreateCudoVmInputSchema>;
export type CreateCudoVmParams = z.output<typeof CreateCudoVmInputSchema>;

export const CreateCudoVmResultSchema = z.object({
  provider: z.literal('cudo'),
  vmId: z.string(),
  state: z.string(),
  dataCenterId: z.string().nullable(),
  publicIpAddress: z.string().nullable(),
  internalIpAddress: z.string().nullable(),
  /** Whether this run created the VM or found it already there (a retried or repeated start). */
  adopted: z.boolean(),
  teardown: z.object({ workflowId: z.string(), teardownAt: z.string() }).nullable(),
});
export type CreateCudoVmResult = z.infer<typeof CreateCudoVmResultSchema>;

/** Metadata that marks a VM as created by cvmflow: creation reconciles on it, and the fleet reconciler
 * never touches a VM without it. */
export function cvmflowMetadata(workflowId: string): Record<string, string> {
  return { [CUDO_MANAGED_BY]: CUDO_MANAGED_BY_VALUE, [CUDO_WORKFLOW_ID]: workflowId };
}
