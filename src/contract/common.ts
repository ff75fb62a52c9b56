// Schema pieces shared by every workflow input. Pure (zod only): imported by workflows, client and CLI.
import { z } from 'zod';
import { parseDurationMs } from '../common/duration';
import { strictObject } from './strict';

export const PROVIDERS = ['phala', 'prism', 'cudo'] as const;
export const ProviderSchema = z.enum(PROVIDERS, { message: 'expected one of phala, prism, cudo' });
export type Provider = z.infer<typeof ProviderSchema>;

/** A duration as "30s", "5m", "1h30m", "2d" or a number of milliseconds; parsed to milliseconds. */
export const DurationSchema = z
  .union([z.string(), z.number()], { message: 'expected a duration such as "30s", "5m", "1h" or a number of milliseconds' })
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === undefined || (typeof v === 'number' && !Number.isInteger(v))) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "5m", "1h" or whole milliseconds, got ${JSON.stringify(v).slice(0, 40)}` });
      return z.NEVER;
    }
    // "1.1s" is 1100.0000000000002 in floating point: timers take whole milliseconds
    return Math.round(ms);
  });

/** Same, bounded: errors name the limits. */
export function boundedDuration(minMs: number, maxMs: number, hint: string) {
  return DurationSchema.refine((ms) => ms >= minMs && ms <= maxMs, `must be between ${hint}`);
}

/** An ISO 8601 instant with a zone, e.g. 2026-12-24T18:00:00Z. */
export const InstantSchema = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time with a zone, e.g. 2026-12-24T18:00:00Z' });

/**
 * A reference to a secret the worker resolves inside an activity, so the value never enters workflow
 * history: `env:CVMFLOW_SECRET_<NAME>` (a worker environment variable) or `file:<name>` (a file in the
 * worker's CVMFLOW_SECRETS_DIR). Only those prefixes, so a caller cannot read the worker's own credentials.
 */
export const SecretRefSchema = z
  .string()
  .regex(/^(env:CVMFLOW_SECRET_[A-Z0-9_]+|file:[A-Za-z0-9._-]+)$/, 'expected env:CVMFLOW_SECRET_<NAME> or file:<name in CVMFLOW_SECRETS_DIR>');

export const EnvVarRefSchema = strictObject({
  key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)'),
  secretRef: SecretRefSchema,
});
export type EnvVarRef = z.infer<typeof EnvVarRefSchema>;

/** Labels a lifecycle may carry. */
export const MAX_LABELS = 32;

/**
 * The longest CVM id or name cvmflow accepts. Ids and names become keyword search attributes (the server's limit
 * is 2048 bytes per value), workflow ids and URL path segments; every provider's own limit is below this.
 */
export const MAX_CVM_REF_LENGTH = 128;
/** A CVM id or name, bounded; each provider's own rule is checked against the whole input (rules/profiles.ts). */
export const CvmRefSchema = z.string().min(1, { abort: true }).max(MAX_CVM_REF_LENGTH, { message: `at most ${MAX_CVM_REF_LENGTH} characters`, abort: true });

/** Options every lifecycle accepts. */
export const LifecycleCommonSchema = {
  /** Tear the CVM down this long after it is ready (a `teardownCvm` workflow that outlives this one). */
  ttl: boundedDuration(60_000, 366 * 86_400_000, '1m and 366d').optional(),
  /** One provider call's attempt timeout (a worker that dies mid-call is noticed after this long). */
  providerCallTimeout: boundedDuration(1_000, 600_000, '1s and 10m').prefault('90s'),
  /** Leave a CVM that failed half-way for debugging instead of deleting it. */
  keepOnFailure: z.boolean().default(false),
  /** Free-form labels recorded with the workflow (search and audit); never secrets. */
  labels: z
    .record(z.string().regex(/^[a-z0-9_.-]{1,63}$/i, 'label keys: letters, digits, _ . -'), z.string().max(256))
    .refine((v) => Object.keys(v).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)
    .default({}),
};

/** Renders zod issues as "field: message" lines, for errors people read. */
export function describeIssues(error: z.ZodError): string {
  const text = (i: z.core.$ZodIssue) => (i.code === 'invalid_type' && /received undefined$/.test(i.message) ? `required (${i.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})` : i.message);
  return error.issues
    .map((i) => {
      // "unknown field vcpu: did you mean vcpus?" names the field itself (see strict.ts)
      if (i.code === 'unrecognized_keys') return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
      return `${i.path.length ? i.path.join('.') : '(input)'}: ${text(i)}`;
    })
    .join('; ');
}
