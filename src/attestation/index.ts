// Public surface of the attestation verifier (pure code: no Temporal, no clock, no I/O in verifyEvidence).
export { verifyEvidence } from './verify';
export type { VerifyInput, CollateralBundle } from './input';
export type { BindingInput } from './binding';
export type { TrustOptions } from './trust';
export { VerdictSchema, VerdictResultSchema, CheckSchema, CertInfoSchema, type Verdict, type VerdictResult, type Check, type CertInfo, type EvidenceFormat, type Platform } from './verdict';
export { parsePolicy } from './policy/parse';
export { PolicyError, type AttestationPolicy, type SnpPolicy, type TdxPolicy, type ProductLine } from './policy/types';
export { sniffFormat } from './sniff';
export { loadAmdRoots, defaultAmdRoots, DEFAULT_AMD_ROOTS_DIR, AMD_ARK_SPKI_SHA256, type AmdRootEntry } from './amd-roots';
export type { DcapCollateral } from './tdx/verify';
export { verifyDstackAttestation, DSTACK_ROOT_CHECKS, type DstackVerifyInput } from './dstack/verify';
export { DstackPolicySchema, KEY_PROVIDER_NAMES, type DstackPolicy, type DstackPolicyInput, type KeyProviderName } from './dstack/policy';
export { decodeDstackEvidence, looksLikeDstack, DstackEvidenceError, type DstackEvidence, type DstackSource } from './dstack/evidence';
