// Normalised attestation policies: the Cocos/go-sev-guest and go-tdx-guest JSON, both spellings, in one shape.

export type ProductLine = 'Milan' | 'Genoa' | 'Turin';

export interface SnpPolicy {
  kind: 'snp';
  minimumGuestSvn?: number;
  /** Required guest policy (go-sev-guest semantics: the report may not be more permissive). */
  policy?: bigint;
  familyId?: Buffer;
  imageId?: Buffer;
  vmpl?: number;
  minimumTcb?: bigint;
  minimumLaunchTcb?: bigint;
  platformInfo?: bigint;
  requireAuthorKey?: boolean;
  requireIdBlock?: boolean;
  reportData?: Buffer;
  measurement?: Buffer;
  hostData?: Buffer;
  reportId?: Buffer;
  reportIdMa?: Buffer;
  chipId?: Buffer;
  minimumBuild?: number;
  minimumVersion?: { major: number; minor: number };
  permitProvisionalFirmware?: boolean;
  trustedAuthorKeys?: Buffer[];
  trustedAuthorKeyHashes?: Buffer[];
  trustedIdKeys?: Buffer[];
  trustedIdKeyHashes?: Buffer[];
  product?: ProductLine | 'Unknown';
  rootOfTrust: { productLine?: ProductLine; checkCrl: boolean; disallowNetwork: boolean; cabundles: string[] };
  /** Cocos extension: expected vTPM PCRs per bank, index → value. */
  pcrValues?: Partial<Record<PcrBank, Map<number, Buffer>>>;
}

export type PcrBank = 'sha1' | 'sha256' | 'sha384';

export interface TdxPolicy {
  kind: 'tdx';
  header: { minimumQeSvn?: number; minimumPceSvn?: number; qeVendorId?: Buffer };
  body: {
    minimumTeeTcbSvn?: Buffer;
    mrSeam?: Buffer;
    tdAttributes?: Buffer;
    xfam?: Buffer;
    mrTd?: Buffer;
    mrConfigId?: Buffer;
    mrOwner?: Buffer;
    mrOwnerConfig?: Buffer;
    rtmrs?: Buffer[];
    reportData?: Buffer;
    anyMrTd?: Buffer[];
  };
  rootOfTrust: { checkCrl: boolean; getCollateral: boolean };
}

export type AttestationPolicy = SnpPolicy | TdxPolicy;

export class PolicyError extends Error {
  override name = 'PolicyError';
}
