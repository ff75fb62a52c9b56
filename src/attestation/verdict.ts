// The verdict: a JSON-only record (hex strings, decimal strings, ISO times) safe to keep in workflow history.
import { z } from 'zod';

export const CheckResultSchema = z.enum(['pass', 'fail', 'skip']);
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const CheckSchema = z.object({
  name: z.string(),
  result: CheckResultSchema,
  expected: z.string(),
  actual: z.string(),
  detail: z.string().optional(),
  /** Set on a check that could not run (missing or unusable collateral, a missing evidence piece): not a "no". */
  undetermined: z.literal(true).optional(),
});
export type Check = z.infer<typeof CheckSchema>;

/**
 * The overall answer: `verified`; `failed` when a check ran and said no; `undetermined` when something needed to
 * decide could not be checked (no or expired collateral, an unreachable collateral service, a missing or malformed
 * evidence piece). Only `failed` is proof of a bad CVM; `undetermined` is never `verified` either.
 */
export const VerdictResultSchema = z.enum(['verified', 'failed', 'undetermined']);
export type VerdictResult = z.infer<typeof VerdictResultSchema>;

export const EvidenceFormatSchema = z.enum([
  'snp-report',
  'azure-hcl-report',
  'vtpm-attestation',
  'tdx-quote-v4',
  'tdx-quote-v5',
  'eat-cbor',
  'eat-jwt',
  /** A dstack / Phala Cloud attestation: TDX quote + event log + app identity (JSON). */
  'dstack',
  'base64',
  'unknown',
]);
export type EvidenceFormat = z.infer<typeof EvidenceFormatSchema>;

export const PlatformSchema = z.enum(['sev-snp', 'tdx', 'vtpm', 'unknown']);
export type Platform = z.infer<typeof PlatformSchema>;

export const CertInfoSchema = z.object({
  role: z.string(),
  subject: z.string(),
  issuer: z.string(),
  serial: z.string(),
  sha256: z.string(),
  spkiSha256: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  source: z.string(),
});
export type CertInfo = z.infer<typeof CertInfoSchema>;

export const BindingSchema = z.object({
  /** nonce: fresh verifier nonce in report_data; certificate: boot-time, bound to the agent's cert; policy: report_data pinned by policy. */
  kind: z.enum(['nonce', 'certificate', 'policy-report-data', 'none']),
  fresh: z.boolean(),
  proven: z.boolean(),
  detail: z.string(),
  /** Extra bindings proven inside the evidence (Azure HCL runtime data, vTPM AK). */
  inner: z.array(z.string()),
});
export type Binding = z.infer<typeof BindingSchema>;

export const TcbSchema = z.object({
  status: z.string(),
  advisories: z.array(z.string()),
  /** Component SVNs as decimal strings, e.g. { bl: "2", snp: "5" }. */
  reported: z.record(z.string(), z.string()),
});

export const VerdictSchema = z.object({
  verified: z.boolean(),
  /** Absent only in verdicts recorded before it existed. */
  result: VerdictResultSchema.optional(),
  platform: PlatformSchema,
  format: EvidenceFormatSchema,
  /** Outer to inner wrappers, e.g. ["eat-cbor", "snp-report"]. */
  formatChain: z.array(EvidenceFormatSchema),
  verifiedAt: z.string(),
  evidenceSha256: z.string(),
  policySha256: z.string().nullable(),
  keyChain: z.array(CertInfoSchema),
  checks: z.array(CheckSchema),
  failures: z.array(z.string()),
  measurements: z.record(z.string(), z.string()),
  tcb: TcbSchema,
  binding: BindingSchema,
  summary: z.string(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** Accumulates checks so every failure is reported, not just the first. */
export class CheckList {
  readonly items: Check[] = [];

  add(name: string, ok: boolean, expected: string, actual: string, detail?: string): boolean {
    this.items.push({ name, result: ok ? 'pass' : 'fail', expected, actual, ...(detail ? { detail } : {}) });
    return ok;
  }

  fail(name: string, expected: string, actual: string, detail?: string): false {
    this.add(name, false, expected, actual, detail);
    return false;
  }

  /** A check that could not run for want of an input: recorded as not passed, and marked undetermined. */
  unable(name: string, expected: string, actual: string, detail?: string): false {
    this.items.push({ name, result: 'fail', expected, actual, ...(detail ? { detail } : {}), undetermined: true });
    return false;
  }

  skip(name: string, why: string): void {
    this.items.push({ name, result: 'skip', expected: '-', actual: '-', detail: why });
  }

  passed(name: string): boolean {
    return this.items.some((c) => c.name === name && c.result === 'pass');
  }

  failures(): string[] {
    return this.items.filter((c) => c.result === 'fail').map((c) => c.name);
  }

  /** Checks that ran and said no (not merely unable to run). */
  refusals(): string[] {
    return this.items.filter((c) => c.result === 'fail' && !c.undetermined).map((c) => c.name);
  }

  /** `verified` needs every check passed and the named root-of-trust checks among them. */
  result(rootChecks: readonly string[]): VerdictResult {
    if (this.refusals().length > 0) return 'failed';
    if (this.failures().length > 0) return 'undetermined';
    return rootChecks.length > 0 && rootChecks.every((n) => this.passed(n)) ? 'verified' : 'undetermined';
  }
}
