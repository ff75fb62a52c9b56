// `createAttestedPrismCvm`: find-or-create → Online with evidence → attestation policy → verify.
import { z } from 'zod';
import { boundedDuration, LifecycleCommonSchema } from './common';
import { PRISM_CVM_NAME_PATTERN } from './rules/prism';
import { strictObject } from './strict';
import { unknownPolicyKeys } from '../attestation/policy/fields';

export const PRISM_BACKENDS = ['azure', 'gcp', 'external', 'ultraviolet'] as const;

/**
 * An attestation policy someone pins (Cocos/go-sev-guest or go-tdx-guest JSON). Every key must be one of the policy's
 * fields: a misspelt one would be skipped by the verifier and its check never made, so it is refused by name.
 */
export const PinnedPolicySchema = z.record(z.string(), z.unknown()).superRefine((policy, ctx) => {
  for (const u of unknownPolicyKeys(policy)) ctx.addIssue({ code: 'custom', message: u.message, path: u.path });
});

export const CreateAttestedPrismCvmInputSchema = strictObject({
  /** Prism create returns no id, so the name identifies the CVM (and the workflow). */
  name: z.string().regex(PRISM_CVM_NAME_PATTERN, 'expected 2-63 lowercase letters, digits or -, not starting with -'),
  backend: z.enum(PRISM_BACKENDS, { message: `expected one of ${PRISM_BACKENDS.join(', ')}` }).default('ultraviolet'),
  vcpu: z.number().int().min(1).max(128).default(2),
  ccPlatform: z.enum(['sev-snp', 'tdx'], { message: 'expected sev-snp or tdx' }).default('sev-snp'),
  agentLogLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The attestation policy to verify against, in the Cocos/go-sev-guest JSON form. Default: the policy Prism
   * serves for the CVM; pin your own to not trust the provider's word for what is genuine.
   */
  policy: PinnedPolicySchema.optional(),
  /** How long the CVM may take to be Online with evidence. */
  onlineDeadline: boundedDuration(1_000, 86_400_000, '1s and 1d').prefault('30m'),
  pollInterval: boundedDuration(100, 60_000, '100ms and 60s').prefault('10s'),
  ...LifecycleCommonSchema,
});
export type CreateAttestedPrismCvmInput = z.input<typeof CreateAttestedPrismCvmInputSchema>;
export type CreateAttestedPrismCvmParams = z.output<typeof CreateAttestedPrismCvmInputSchema>;

export interface AttestationCheckSummary {
  name: string;
  passed: boolean;
  expected?: string;
  actual?: string;
  detail?: string;
}

export const CreateAttestedPrismCvmResultSchema = z.object({
  provider: z.literal('prism'),
  name: z.string(),
  cvmId: z.string(),
  status: z.string(),
  ccPlatform: z.string(),
  agentUrl: z.string().nullable(),
  /** The verifier's full verdict (see src/attestation/verdict.ts). */
  verdict: z.looseObject({ verified: z.literal(true) }),
  teardown: z.object({ workflowId: z.string(), teardownAt: z.string() }).nullable(),
});
export type CreateAttestedPrismCvmResult = z.infer<typeof CreateAttestedPrismCvmResultSchema>;

/** The part of a verdict the platform check reads and extends (src/attestation/verdict.ts has the whole). */
export interface PlatformCheckedVerdict {
  verified: boolean;
  result?: string;
  platform: string;
  formatChain?: readonly string[];
  checks: Array<{ name: string; result: string; expected: string; actual: string; detail?: string }>;
  failures: string[];
}

/** The hardware the evidence comes from; a vTPM wrapper is judged by the report inside it. */
export function evidencePlatform(v: Pick<PlatformCheckedVerdict, 'platform' | 'formatChain'>): string {
  if (v.platform !== 'vtpm') return v.platform;
  const chain = v.formatChain ?? [];
  if (chain.includes('snp-report') || chain.includes('azure-hcl-report')) return 'sev-snp';
  if (chain.some((f) => f.startsWith('tdx-quote'))) return 'tdx';
  return v.platform;
}

/**
 * Adds the `platform` check: evidence of another platform than the one requested is a check that ran and said no
 * (verdict `failed`), however genuine the evidence is, since a neutral policy would accept either.
 */
export function withPlatformCheck<V extends PlatformCheckedVerdict>(verdict: V, requested: string): V {
  const actual = evidencePlatform(verdict);
  if (actual === requested) return { ...verdict, checks: [...verdict.checks, { name: 'platform', result: 'pass', expected: requested, actual }] };
  const detail = `the evidence is ${actual}, the CVM was requested as ${requested}`;
  return {
    ...verdict,
    verified: false,
    result: 'failed',
    checks: [...verdict.checks, { name: 'platform', result: 'fail', expected: requested, actual, detail }],
    failures: [...verdict.failures, 'platform'],
  };
}
