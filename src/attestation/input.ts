// Inputs of verifyEvidence: everything it depends on is passed in, so the verdict is a pure function of them.
import type { BindingInput } from './binding';
import type { DcapCollateral } from './tdx/verify';
import type { TrustOptions } from './trust';

export interface CollateralBundle {
  /** Certificates not inside the evidence: VCEK/VLEK, ASK/ASVK, ARK (PEM bundles or DER). */
  certificates?: Array<string | Uint8Array>;
  /** AMD KDS CRLs (DER or PEM). */
  crls?: Array<string | Uint8Array>;
  /** Intel DCAP collateral for TDX quotes (the dcap-qvl / PCCS JSON shape). */
  tdx?: DcapCollateral;
}

export interface VerifyInput {
  /** The evidence bytes (Prism's `attestation`, base64-decoded or not). */
  evidence: Uint8Array;
  /** Policy JSON text (Prism's `attestation_policy`, decoded). Without one only built-in checks apply. */
  policy?: string | Uint8Array;
  collateral?: CollateralBundle;
  /** Verification time: ISO string, Date or epoch milliseconds. Never read from the clock. */
  at: string | Date | number;
  trust?: TrustOptions;
  binding?: BindingInput;
}

export function timeOf(at: VerifyInput['at']): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new TypeError(`verifyEvidence: invalid verification time ${String(at)}`);
  return ms;
}
