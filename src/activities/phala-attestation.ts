// verifyPhalaAttestation: a Phala CVM's attestation (given, or fetched from the per-app or per-CVM endpoint) checked
// against the identity cvmflow deployed, at the workflow's time. Thin: collateral and trust are gathered here, the
// verdict comes from src/attestation (verifyDstackAttestation). A verdict of any result is returned, not thrown.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { DstackPolicySchema, verifyDstackAttestation, type Verdict } from '../attestation';
import { gatherCollateral, type CollateralOptions } from '../attestation/collateral';
import { DstackEvidenceError, decodeDstackEvidence } from '../attestation/dstack/evidence';
import { chainTop, type DcapCollateral } from '../attestation/tdx/verify';
import { certificatesFrom, parseCertificate } from '../attestation/x509';
import type { PhalaClient } from '../providers/phala/client';
import { callProvider, invalidInputFailure } from './provider-failure';

export interface PhalaAttestationDependencies {
  phala?: PhalaClient;
  /** Sandbox roots (PEM bundle) trusted only for this worker's own sandboxes, or when configured explicitly. */
  sandboxAttestationRoot?: () => string | undefined;
  /** The TDX collateral of this worker's own Phala sandbox, which plays Intel PCS for its sandbox chain. */
  sandboxTdxCollateral?: () => DcapCollateral | undefined;
  collateral?: Pick<CollateralOptions, 'cacheDir' | 'allowNetwork'>;
}

export const VerifyPhalaAttestationInputSchema = z
  .object({
    /** The attestation JSON (either endpoint's shape, GetQuote or Info); when absent it is fetched. */
    attestation: z.unknown().optional(),
    /** Where to fetch it: `app` (GET /apps/{appId}/attestations, our instance by vmUuid/instanceId) or `cvm`. */
    fetch: z.enum(['app', 'cvm']).default('app'),
    /** The CVM to fetch from with `fetch: 'cvm'` (id, vm_uuid, app_<app_id> or name). */
    cvmId: z.string().min(1).optional(),
    expected: DstackPolicySchema,
    at: z.iso.datetime({ offset: true }),
  })
  .refine((i) => i.attestation !== undefined || i.fetch === 'app' || i.cvmId !== undefined, { message: "fetch 'cvm' needs cvmId", path: ['cvmId'] });

function missing(): ApplicationFailure {
  return ApplicationFailure.create({ message: 'verifyPhalaAttestation: provider phala is not configured on this worker', type: 'ProviderNotConfigured', nonRetryable: true });
}

/** Collateral for the quote: the sandbox's own (when the quote chains to its root), else the cache or Intel PCS. */
async function collateralFor(deps: PhalaAttestationDependencies, attestation: unknown, selector: { vmUuid?: string; instanceId?: string }, at: string): Promise<DcapCollateral | undefined> {
  let quote: Buffer | undefined;
  try {
    quote = decodeDstackEvidence(attestation, selector).quote;
  } catch (err) {
    if (err instanceof DstackEvidenceError) return undefined; // the verifier reports it
    throw err;
  }
  if (!quote) return undefined;
  const top = chainTop(quote, undefined);
  const sandbox = deps.sandboxTdxCollateral?.();
  const rootPem = deps.sandboxAttestationRoot?.();
  if (top && sandbox && rootPem && certificatesFrom(rootPem).some((der) => parseCertificate(der).sha256 === top.sha256)) return sandbox;
  return (await gatherCollateral(quote, { ...deps.collateral, at: new Date(at) })).collateral.tdx;
}

export function createPhalaAttestationActivities(deps: PhalaAttestationDependencies) {
  return {
    /** The verdict (verified / failed / undetermined) of a Phala CVM's attestation against what cvmflow deployed. */
    async verifyPhalaAttestation(input: z.input<typeof VerifyPhalaAttestationInputSchema>): Promise<Verdict> {
      const p = VerifyPhalaAttestationInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('verifyPhalaAttestation', p.error);
      const { expected, at } = p.data;
      const attestation =
        p.data.attestation ??
        (await callProvider('verifyPhalaAttestation', z.unknown(), null, async (_i, signal) => {
          if (!deps.phala) throw missing();
          return p.data.fetch === 'cvm' ? deps.phala.getCvmAttestation({ id: p.data.cvmId! }, { signal }) : deps.phala.getAppAttestations(expected.appId, { signal });
        }));
      const selector = { vmUuid: expected.vmUuid, instanceId: expected.instanceId || undefined };
      const collateral = await collateralFor(deps, attestation, selector, at);
      const root = deps.sandboxAttestationRoot?.();
      const verdict = verifyDstackAttestation({ attestation, policy: expected, collateral, at, trust: root ? { extraArks: [root], allowSandbox: true } : {} });
      return JSON.parse(JSON.stringify(verdict)) as Verdict;
    },
  };
}
