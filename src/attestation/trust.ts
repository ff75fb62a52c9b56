// What the verifier trusts: pinned AMD roots, optional extra (sandbox) ARKs, the Intel root, accepted TDX TCB states.
import { type AmdRootEntry, defaultAmdRoots } from './amd-roots';
import { type ParsedCert, certificatesFrom, parseCertificate } from './x509';

export interface TrustOptions {
  /** AMD ASK/ARK bundles; defaults to assets/amd-roots. */
  amdRoots?: AmdRootEntry[];
  /**
   * Sandbox roots (PEM bundles or DER): AMD-shaped ARKs and Intel-shaped TDX roots made by cvmflow's sandboxes.
   * Honoured only with allowSandbox, so a stray root never widens trust by accident. An ARK only anchors an SNP
   * chain that names it; a TDX root only a PCK chain that ends with exactly that certificate.
   */
  extraArks?: Array<string | Uint8Array>;
  allowSandbox?: boolean;
  /** Intel SGX Root CA (DER); defaults to the one bundled with @phala/dcap-qvl. */
  intelRootCaDer?: Uint8Array;
  /** TDX TCB statuses to accept; defaults to ["UpToDate"]. */
  acceptedTdxTcbStatuses?: string[];
}

export interface ResolvedTrust {
  amdRoots: AmdRootEntry[];
  extraArks: ParsedCert[];
  /** Extra ARKs supplied but ignored because allowSandbox was not set: named in the failing check. */
  ignoredExtraArks: ParsedCert[];
  intelRootCaDer?: Buffer;
  acceptedTdxTcbStatuses: string[];
}

export function resolveTrust(trust: TrustOptions | undefined): ResolvedTrust {
  const extra = (trust?.extraArks ?? []).flatMap((x) => certificatesFrom(x)).map(parseCertificate);
  return {
    amdRoots: trust?.amdRoots ?? defaultAmdRoots(),
    extraArks: trust?.allowSandbox ? extra : [],
    ignoredExtraArks: trust?.allowSandbox ? [] : extra,
    intelRootCaDer: trust?.intelRootCaDer ? Buffer.from(trust.intelRootCaDer) : undefined,
    acceptedTdxTcbStatuses: trust?.acceptedTdxTcbStatuses ?? ['UpToDate'],
  };
}
