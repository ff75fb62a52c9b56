// How workflows read an attestation verdict and build what a Phala CVM must show. A verdict is `verified`,
// `failed` (a check ran and said no) or `undetermined` (it could not run); an activity that could not fetch or
// check the evidence is `undetermined` too, never `failed`.
import { isCancellation } from '@temporalio/workflow';
import type { VerdictResult } from '../../attestation/verdict';
import type { PhalaAttestationOptions } from '../../contract/phala';
import { describeFailure } from './input';
import type { LifecycleActivities } from './options';

/** The part of a verdict workflows use (the activity returns the whole of src/attestation's Verdict). */
export interface VerdictLike {
  verified: boolean;
  result?: VerdictResult;
  checks: Array<{ name: string; result: string; detail?: string; undetermined?: true }>;
  failures: string[];
  measurements: Record<string, string>;
  summary: string;
}

export interface Outcome {
  result: VerdictResult;
  /** Failed checks ("name (detail)"), or why the check could not run. */
  reasons: string[];
  verdict?: VerdictLike;
}

/** The verdict's three-way result (verdicts recorded before `result` existed say only verified or not). */
export function outcomeOf(verdict: VerdictLike): Outcome {
  const result = verdict.result ?? (verdict.verified ? 'verified' : 'failed');
  const reasons = verdict.checks.filter((c) => c.result === 'fail').map((c) => `${c.name}${c.undetermined ? ' [could not be checked]' : ''}${c.detail ? ` (${c.detail})` : ''}`);
  return { result, reasons, verdict };
}

/** Runs a verification; an error (provider down after retries, evidence missing) is `undetermined`. */
export async function attempt(verify: () => Promise<VerdictLike>): Promise<Outcome> {
  try {
    return outcomeOf(await verify());
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { result: 'undetermined', reasons: [`could not be checked: ${describeFailure(err).message}`] };
  }
}

/** What cvmflow deployed on Phala, from the lifecycle: the identity every attestation of that CVM must show. */
export interface PhalaIdentity {
  appId: string;
  vmUuid: string | null;
  composeHash: string;
  /** The docker compose file, when known (the lifecycle's own input). */
  composeFile?: string;
  /** Pinned at the first successful attestation. */
  keyProvider?: { name: string; id: string | null };
}

type AllowLists = Pick<PhalaAttestationOptions, 'allowedKeyProviders' | 'allowedOsImageHashes' | 'allowedMeasurements'>;

/** The dstack policy (src/attestation/dstack/policy.ts) for that identity. */
export function phalaExpected(id: PhalaIdentity, allow: Partial<AllowLists> = {}) {
  return {
    composeHash: id.composeHash,
    ...(id.composeFile !== undefined ? { dockerComposeFile: id.composeFile } : {}),
    appId: id.appId,
    ...(id.vmUuid ? { vmUuid: id.vmUuid } : {}),
    ...(id.keyProvider ? { keyProvider: { name: id.keyProvider.name as 'kms', ...(id.keyProvider.id ? { id: id.keyProvider.id } : {}) } } : {}),
    ...(allow.allowedKeyProviders ? { allowedKeyProviders: allow.allowedKeyProviders } : {}),
    ...(allow.allowedOsImageHashes ? { allowedOsImageHashes: allow.allowedOsImageHashes } : {}),
    ...(allow.allowedMeasurements ? { allowedMeasurements: allow.allowedMeasurements } : {}),
  };
}

/** Fetches a Phala CVM's attestation (per-app endpoint, our instance) and verifies it against the identity. */
export function verifyPhala(acts: LifecycleActivities, id: PhalaIdentity, allow: Partial<AllowLists> = {}): Promise<Outcome> {
  return attempt(() => acts.verifyPhalaAttestation({ fetch: 'app', expected: phalaExpected(id, allow), at: new Date().toISOString() }));
}

/** The key provider a verified dstack verdict showed (to pin it). */
export function keyProviderOf(verdict: VerdictLike): { name: string; id: string | null } {
  return { name: verdict.measurements['dstack.key_provider'] ?? 'unknown', id: verdict.measurements['dstack.key_provider_id'] ?? null };
}
