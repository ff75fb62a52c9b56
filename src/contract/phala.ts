// `provisionPhalaCvm`: provision → encrypt env → (on-chain registration) → commit → Running.
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { boundedDuration, EnvVarRefSchema, LifecycleCommonSchema } from './common';
import { strictObject } from './strict';
import { ETH_ADDRESS_PATTERN, HEX32_PATTERN, isValidPhalaCvmName, MAX_COMPOSE_PAYLOAD_BYTES, PHALA_CVM_NAME_PATTERN, TX_HASH_PATTERN } from './rules/phala';

const address = () => z.string().regex(ETH_ADDRESS_PATTERN, 'expected a 0x-prefixed 20-byte address').optional();

export const PhalaKmsSchema = z.discriminatedUnion('type', [
  strictObject({ type: z.literal('phala') }),
  strictObject({
    type: z.enum(['ethereum', 'base']),
    /** The DstackKms contract the app registers with; the submitted transaction must name it. */
    contractAddress: address(),
    deployerAddress: address(),
  }),
]);

/** dstack's key providers (the `key-provider` event); `none` means no sealing at all. */
export const PHALA_KEY_PROVIDERS = ['kms', 'local-sgx', 'tpm', 'none'] as const;
const hex48 = z.string().regex(/^(0x)?[0-9a-fA-F]{96}$/, 'expected 48 bytes in hex (96 hex digits)');

/**
 * Attestation before the CVM is reported ready: the TDX quote, the event log replayed to RTMR0-3 (RTMR3's
 * digests recomputed from the events), the compose hash of what cvmflow deployed, our app and instance, and
 * the key provider. On by default; `verify: false` needs a `skipReason`, which the result records.
 */
export const PhalaAttestationOptionsSchema = strictObject({
  verify: z.boolean().default(true),
  /** Why this CVM may be reported ready without proof (recorded in the result); required with verify: false. */
  skipReason: z.string().trim().min(8, 'attestation.skipReason: say in a sentence why this CVM needs no proof').max(500).optional(),
  /** Key providers acceptable at the first attestation; the one seen is then pinned in the result. */
  allowedKeyProviders: z.array(z.enum(PHALA_KEY_PROVIDERS)).min(1).default(['kms']),
  /** Allowed `os-image-hash` values (SHA-256, hex). */
  allowedOsImageHashes: z.array(z.string().regex(HEX32_PATTERN, 'expected a SHA-256 in hex')).min(1).optional(),
  /** Allowed (MRTD, RTMR0, RTMR1, RTMR2) sets, one per OS image and instance type. */
  allowedMeasurements: z.array(strictObject({ label: z.string().max(128).optional(), mrtd: hex48.optional(), rtmr0: hex48.optional(), rtmr1: hex48.optional(), rtmr2: hex48.optional() })).min(1).optional(),
  /** How long evidence may stay undetermined (not served yet, collateral unreachable) before the lifecycle fails closed. */
  deadline: boundedDuration(1_000, 3_600_000, '1s and 1h').prefault('5m'),
})
  .refine((a) => a.verify || a.skipReason !== undefined, {
    message: 'attestation.verify is false: give attestation.skipReason (why this CVM may be reported ready without proof; it is recorded in the result)',
    path: ['skipReason'],
  });
export type PhalaAttestationOptions = z.output<typeof PhalaAttestationOptionsSchema>;

export const ProvisionPhalaCvmInputSchema = strictObject({
  /** RFC 1123 style, as Phala requires: 5-63 characters, starts with a letter, no `--`. Also the workflow id. */
  name: z
    .string()
    .regex(PHALA_CVM_NAME_PATTERN, 'expected 5-63 letters, digits or -, starting with a letter')
    .refine(isValidPhalaCvmName, 'must not contain --'),
  composeFile: z.string().min(1, 'the docker compose file is required').max(MAX_COMPOSE_PAYLOAD_BYTES, 'compose file and pre-launch script must total at most 200 KiB'),
  preLaunchScript: z.string().max(100 * 1024).optional(),
  vcpu: z.number().int().min(1).max(128).optional(),
  memoryMb: z.number().int().min(512).max(1024 * 1024).optional(),
  diskGb: z.number().int().min(10).max(16 * 1024).optional(),
  instanceType: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an instance type: 1-64 letters, digits, . _ -').optional(),
  nodeId: z.number().int().min(0).optional(),
  image: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'expected an image name: 1-128 letters, digits, . _ : / -').optional(),
  kms: PhalaKmsSchema.default({ type: 'phala' }),
  /** Env vars by reference; values are resolved and encrypted to the CVM's key inside an activity. */
  env: z.array(EnvVarRefSchema).max(200).default([]),
  publicLogs: z.boolean().default(false),
  publicSysinfo: z.boolean().default(false),
  gatewayEnabled: z.boolean().default(true),
  /** How long to wait for `submitOnChainTransaction` before failing (on-chain KMS only). */
  onChainDeadline: boundedDuration(1_000, 7 * 86_400_000, '1s and 7d').prefault('1h'),
  /** How long the CVM may take from commit to Running. */
  runningDeadline: boundedDuration(1_000, 86_400_000, '1s and 1d').prefault('20m'),
  /** Server-side SSE interval and the fallback polling start (capped backoff doubles it up to 30 s). */
  pollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('5s'),
  attestation: PhalaAttestationOptionsSchema.prefault({}),
  ...LifecycleCommonSchema,
});
export type ProvisionPhalaCvmInput = z.input<typeof ProvisionPhalaCvmInputSchema>;
export type ProvisionPhalaCvmParams = z.output<typeof ProvisionPhalaCvmInputSchema>;

export const ProvisionPhalaCvmResultSchema = z.object({
  provider: z.literal('phala'),
  name: z.string(),
  /** The handle to address the CVM later (vm_uuid when known). */
  cvmId: z.string(),
  appId: z.string().nullable(),
  vmUuid: z.string().nullable(),
  status: z.string(),
  composeHash: z.string(),
  kms: z.string(),
  transactionHash: z.string().nullable(),
  appUrl: z.string().nullable(),
  teardown: z.object({ workflowId: z.string(), teardownAt: z.string() }).nullable(),
  /**
   * What proved the CVM genuine before it was reported ready: the verdict (result `verified`) and the key
   * provider it showed, pinned for every later re-attestation; or why it was not attested. Absent in results
   * of runs that started before attestation existed.
   */
  attestation: z
    .discriminatedUnion('result', [
      z.object({ result: z.literal('verified'), keyProvider: z.object({ name: z.string(), id: z.string().nullable() }), verdict: z.looseObject({ verified: z.literal(true) }) }),
      z.object({ result: z.literal('skipped'), reason: z.string() }),
    ])
    .optional(),
});
export type ProvisionPhalaCvmResult = z.infer<typeof ProvisionPhalaCvmResultSchema>;

export const SubmitOnChainTransactionSchema = strictObject({
  transactionHash: z.string().regex(TX_HASH_PATTERN, 'expected 0x followed by 64 hex digits'),
  /** The app (DstackApp) address the transaction registered; must match the provisioned app when known. */
  appAddress: address(),
  /** The KMS contract it was sent to; must match the input's kms.contractAddress when that is set. */
  contractAddress: address(),
  /** The account that deployed the app (else the input's kms.deployerAddress). */
  deployerAddress: address(),
  /** The app's env encryption key from the KMS (hex X25519); required when the CVM has env vars. */
  appEnvEncryptPubkey: z.string().regex(HEX32_PATTERN, 'expected a 32-byte X25519 public key in hex').optional(),
});
export type SubmitOnChainTransaction = z.infer<typeof SubmitOnChainTransactionSchema>;

export const submitOnChainTransactionUpdate = defineUpdate<{ accepted: true; composeHash: string }, [SubmitOnChainTransaction]>('submitOnChainTransaction');
