// Public surface of the attestation verifier (pure code: no Temporal, no clock, no I/O in verifyEvidence).
export { verifyEvidence } from './verify';
export type { VerifyInput, CollateralBundle } from './input';
export type { BindingInput } from './binding';
export type { TrustOptions } from './trust';
export { VerdictSchema, CheckSchema, CertInfoSchema, type Verdict, type Check, type CertInfo, type EvidenceFormat, type Platform } from './verdict';
export { parsePolicy } from './policy/parse';
export { PolicyError, type AttestationPolicy, type SnpPolicy, type TdxPolicy, type ProductLine } from './policy/types';
export { sniffFormat } from './sniff';
export { loadAmdRoots, defaultAmdRoots, DEFAULT_AMD_ROOTS_DIR, AMD_ARK_SPKI_SHA256, type AmdRootEntry } from './amd-roots';
export type { DcapCollateral } from './tdx/verify';
