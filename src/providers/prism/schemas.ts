// Zod schemas of the Prism CVM API. Responses are loose (unknown fields kept) and tolerant where Go's JSON encoding
// varies (nil slices as null, empty strings for unset fields); the fields a workflow relies on are required.
import { z } from 'zod';

// --- path and body values --------------------------------------------------------------------------------------

/** Backends the docs list (`azure`, `gcp`, `external`, `ultraviolet`) plus `aws`, which the docs' own example uses. */
export const PRISM_PROVIDERS = ['azure', 'gcp', 'external', 'ultraviolet', 'aws'] as const;
export type PrismProvider = (typeof PRISM_PROVIDERS)[number];

/** The canonical cc_platform spellings: the form the docs' curl example and sample responses use. */
export const PRISM_CC_PLATFORMS = ['sev-snp', 'tdx'] as const;
export type PrismCcPlatform = (typeof PRISM_CC_PLATFORMS)[number];

export const PRISM_AGENT_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type PrismAgentLogLevel = (typeof PRISM_AGENT_LOG_LEVELS)[number];

/**
 * Maps every documented spelling of a platform onto the canonical one: `sev-snp` (curl/sample), `SEV SNP` (prose),
 * `SEV-SNP`, `snp`, `amd-sev-snp`; `tdx`, `Intel TDX` (prose), `intel-tdx`. Unknown values give undefined.
 */
export function normalizeCcPlatform(raw: string | null | undefined): PrismCcPlatform | undefined {
  if (typeof raw !== 'string') return undefined;
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/^(amd|intel)-/, '');
  if (s === 'sev-snp' || s === 'snp' || s === 'sevsnp' || s === 'sev') return 'sev-snp';
  if (s === 'tdx') return 'tdx';
  return undefined;
}

export function normalizeProvider(raw: string | null | undefined): PrismProvider | undefined {
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim().toLowerCase();
  return (PRISM_PROVIDERS as readonly string[]).includes(s) ? (s as PrismProvider) : undefined;
}

/** Accepts any documented spelling, outputs the canonical one. */
export const CcPlatformSchema = z
  .string()
  .transform((s, ctx) => {
    const p = normalizeCcPlatform(s);
    if (!p) {
      ctx.addIssue({ code: 'custom', message: `unknown cc_platform "${s.slice(0, 40)}" (expected sev-snp / SEV SNP or tdx / Intel TDX)` });
      return z.NEVER;
    }
    return p;
  });

export const ProviderSchema = z.string().transform((s, ctx) => {
  const p = normalizeProvider(s);
  if (!p) {
    ctx.addIssue({ code: 'custom', message: `unknown provider "${s.slice(0, 40)}" (expected one of ${PRISM_PROVIDERS.join(', ')})` });
    return z.NEVER;
  }
  return p;
});

export const CvmNameSchema = z.string().trim().min(1, 'name must not be empty').max(1024);

export const CreateCvmBodySchema = z.object({
  name: CvmNameSchema,
  agent_log_level: z.enum(PRISM_AGENT_LOG_LEVELS),
});
export type CreateCvmBody = z.infer<typeof CreateCvmBodySchema>;

// --- responses -------------------------------------------------------------------------------------------------

/** Standard or URL-safe base64, padded or not; empty allowed (the field is unset before the agent reports). */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');

/** Go encodes an unset string as "" and some fields may be null; both mean "absent". */
const optText = z.string().nullish();

const intLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

/** One CVM as the list and view endpoints return it. */
export const PrismCvmSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  cvm_id: optText,
  agent_url: optText,
  state: optText,
  created_at: optText,
  /** `0001-01-01T00:00:00Z` (Go's zero time) while the CVM is not deleted. */
  deleted_at: optText,
  provider: optText,
  vcpus: intLike.nullish(),
  /** Base64 boot-time evidence pushed by the agent; empty until it connects (see provider-notes §1.3). */
  attestation: base64.nullish(),
  /** Base64/JWT; only Azure fills it (an MAA token). */
  attestation_token: optText,
  agent_log_level: optText,
  monthly_cost_estimate: z.union([z.string(), z.number()]).nullish(),
  cc_platform: optText,
});
export type PrismCvm = z.infer<typeof PrismCvmSchema>;

export const PrismCvmListSchema = z.looseObject({
  /** Go marshals an empty slice that was never allocated as null. */
  cvms: z
    .array(PrismCvmSchema)
    .nullable()
    .transform((v) => v ?? []),
  total: z.number().int().min(0),
  limit: z.number().int().min(0).optional(),
  offset: z.number().int().min(0).optional(),
});
export type PrismCvmList = z.infer<typeof PrismCvmListSchema>;

export const PrismCvmStatSchema = z.looseObject({
  id: z.string().nullish(),
  cvm_id: z.string().nullish(),
  timestamp: z.string(),
  /** A heartbeat: whether the CVM was online at `timestamp`. */
  status: z.boolean(),
});
export type PrismCvmStat = z.infer<typeof PrismCvmStatSchema>;

export const PrismCvmStatisticsSchema = z.looseObject({
  cvm_stats: z
    .array(PrismCvmStatSchema)
    .nullable()
    .transform((v) => v ?? []),
});
export type PrismCvmStatistics = z.infer<typeof PrismCvmStatisticsSchema>;

export const PrismAttestationPolicySchema = z.looseObject({
  /** Base64 of the policy file: JSON (cocos ≤ v0.8) or a CoRIM in CBOR (cocos ≥ v0.9). */
  attestation_policy: base64,
});
export type PrismAttestationPolicy = z.infer<typeof PrismAttestationPolicySchema>;

/** Create answers 201 with no body; a future body with an id is kept rather than rejected. */
export const CreateCvmResponseSchema = z.union([z.undefined(), z.looseObject({ id: z.string().optional() })]);

/** Delete answers 204; anything else in a 2xx body is ignored. */
export const EmptyResponseSchema = z.unknown();

// --- client / activity parameters ------------------------------------------------------------------------------

export const CreateCvmParamsSchema = z.object({
  name: CvmNameSchema,
  provider: ProviderSchema,
  vcpu: z.number().int().min(1).max(1024),
  ccPlatform: CcPlatformSchema,
  agentLogLevel: z.enum(PRISM_AGENT_LOG_LEVELS).default('info'),
});
export type CreateCvmParams = z.input<typeof CreateCvmParamsSchema>;

export const ListCvmsParamsSchema = z.object({
  limit: z.number().int().min(1).max(100).optional(),
  offset: z.number().int().min(0).optional(),
  /** Prism (like the SuperMQ services it is built on) matches names partially; filter exact names yourself. */
  name: z.string().min(1).optional(),
  status: z.string().min(1).optional(),
  days: z.number().int().min(1).optional(),
  ccPlatform: CcPlatformSchema.optional(),
});
export type ListCvmsParams = z.input<typeof ListCvmsParamsSchema>;

export const CvmIdParamsSchema = z.object({ id: z.string().trim().min(1).max(200) });
export type CvmIdParams = z.input<typeof CvmIdParamsSchema>;

export const StatisticsParamsSchema = z.object({ id: z.string().trim().min(1).max(200), days: z.number().int().min(1).max(3650).optional() });
export type StatisticsParams = z.input<typeof StatisticsParamsSchema>;

// --- decoding helpers ------------------------------------------------------------------------------------------

/** Decodes a base64 field (standard or URL-safe); empty or absent gives an empty buffer. */
export function decodeBase64Field(value: string | null | undefined): Buffer {
  if (!value) return Buffer.alloc(0);
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** The raw evidence bytes of a CVM (empty until the agent has reported). */
export function decodeAttestation(cvm: Pick<PrismCvm, 'attestation'>): Buffer {
  return decodeBase64Field(cvm.attestation);
}

/**
 * The policy file bytes, and its JSON when it is JSON (cocos ≤ v0.8); a CoRIM gives `json: undefined`.
 * `json` comes from JSON.parse, which rounds uint64 values above 2^53 (minimum_tcb): verifiers parse `bytes` BigInt-aware.
 */
export function decodeAttestationPolicy(res: PrismAttestationPolicy): { bytes: Buffer; json: unknown } {
  const bytes = decodeBase64Field(res.attestation_policy);
  const text = bytes.toString('utf8').trim();
  let json: unknown;
  if (text.startsWith('{')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { bytes, json };
}
