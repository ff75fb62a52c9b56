// SEV-SNP ATTESTATION_REPORT (AMD SNP ABI, 0x4A0 bytes, little-endian): parse and decode TCB per product.
import { LeReader } from '../bytes';
import type { ProductLine } from '../policy/types';

export const SNP_REPORT_SIZE = 0x4a0;
export const SNP_SIGNED_SIZE = 0x2a0;
export const SUPPORTED_REPORT_VERSIONS = [2, 3, 4, 5];

export interface SnpReport {
  raw: Buffer;
  version: number;
  guestSvn: number;
  policy: bigint;
  familyId: Buffer;
  imageId: Buffer;
  vmpl: number;
  signatureAlgo: number;
  currentTcb: bigint;
  platformInfo: bigint;
  signerInfo: number;
  /** SIGNING_KEY: 0 VCEK, 1 VLEK, 7 none. */
  signingKey: number;
  authorKeyEn: boolean;
  maskChipKey: boolean;
  reportData: Buffer;
  measurement: Buffer;
  hostData: Buffer;
  idKeyDigest: Buffer;
  authorKeyDigest: Buffer;
  reportId: Buffer;
  reportIdMa: Buffer;
  reportedTcb: bigint;
  /** CPUID family/model/stepping, reports version 3 and later. */
  cpuid?: { family: number; model: number; stepping: number };
  chipId: Buffer;
  committedTcb: bigint;
  current: { build: number; minor: number; major: number };
  committed: { build: number; minor: number; major: number };
  launchTcb: bigint;
  launchMitVector?: bigint;
  currentMitVector?: bigint;
  /** ECDSA P-384 r and s, big-endian 48 bytes each; undefined when the padding is not zero (malformed). */
  signature?: { r: Buffer; s: Buffer };
  signed: Buffer;
}

function signatureComponent(le72: Buffer): Buffer | undefined {
  const be = Buffer.from(le72).reverse();
  // the 72-byte little-endian fields are zero-padded above the 48 bytes of a P-384 scalar
  for (let i = 0; i < 24; i++) if (be[i] !== 0) return undefined;
  return be.subarray(24);
}

export function parseSnpReport(buf: Buffer): SnpReport {
  if (buf.length < SNP_REPORT_SIZE) throw new Error(`SEV-SNP report too short: ${buf.length} bytes, need ${SNP_REPORT_SIZE}`);
  const raw = buf.subarray(0, SNP_REPORT_SIZE);
  const r = new LeReader(raw);
  const version = r.u32(0x000);
  if (!SUPPORTED_REPORT_VERSIONS.includes(version)) throw new Error(`unsupported SEV-SNP report version ${version}`);
  const signerInfo = r.u32(0x048);
  const rs = signatureComponent(r.bytes(0x2a0, 72));
  const ss = signatureComponent(r.bytes(0x2e8, 72));
  return {
    raw,
    version,
    guestSvn: r.u32(0x004),
    policy: r.u64(0x008),
    familyId: r.bytes(0x010, 16),
    imageId: r.bytes(0x020, 16),
    vmpl: r.u32(0x030),
    signatureAlgo: r.u32(0x034),
    currentTcb: r.u64(0x038),
    platformInfo: r.u64(0x040),
    signerInfo,
    authorKeyEn: (signerInfo & 1) !== 0,
    maskChipKey: (signerInfo & 2) !== 0,
    signingKey: (signerInfo >> 2) & 7,
    reportData: r.bytes(0x050, 64),
    measurement: r.bytes(0x090, 48),
    hostData: r.bytes(0x0c0, 32),
    idKeyDigest: r.bytes(0x0e0, 48),
    authorKeyDigest: r.bytes(0x110, 48),
    reportId: r.bytes(0x140, 32),
    reportIdMa: r.bytes(0x160, 32),
    reportedTcb: r.u64(0x180),
    cpuid: version >= 3 ? { family: r.u8(0x188), model: r.u8(0x189), stepping: r.u8(0x18a) } : undefined,
    chipId: r.bytes(0x1a0, 64),
    committedTcb: r.u64(0x1e0),
    current: { build: r.u8(0x1e8), minor: r.u8(0x1e9), major: r.u8(0x1ea) },
    committed: { build: r.u8(0x1ec), minor: r.u8(0x1ed), major: r.u8(0x1ee) },
    launchTcb: r.u64(0x1f0),
    launchMitVector: version >= 5 ? r.u64(0x1f8) : undefined,
    currentMitVector: version >= 5 ? r.u64(0x200) : undefined,
    signature: rs && ss ? { r: rs, s: ss } : undefined,
    signed: raw.subarray(0, SNP_SIGNED_SIZE),
  };
}

export interface TcbParts {
  fmc?: number;
  bl: number;
  tee: number;
  snp: number;
  ucode: number;
}

/** TCB_VERSION bytes: Milan/Genoa [bl, tee, 0,0,0,0, snp, ucode]; Turin [fmc, bl, tee, snp, 0,0,0, ucode]. */
export function decodeTcb(tcb: bigint, line: ProductLine | undefined): TcbParts {
  // two 32-bit halves, then bytes by number shifts: one BigInt step per half instead of three per byte
  const lo = Number(tcb & 0xffffffffn);
  const hi = Number((tcb >> 32n) & 0xffffffffn);
  const b = (i: number): number => ((i < 4 ? lo : hi) >>> (8 * (i & 3))) & 0xff;
  if (line === 'Turin') return { fmc: b(0), bl: b(1), tee: b(2), snp: b(3), ucode: b(7) };
  return { bl: b(0), tee: b(1), snp: b(6), ucode: b(7) };
}

export function encodeTcb(parts: TcbParts, line: ProductLine | undefined): bigint {
  const bytes = new Array<number>(8).fill(0);
  if (line === 'Turin') [bytes[0], bytes[1], bytes[2], bytes[3], bytes[7]] = [parts.fmc ?? 0, parts.bl, parts.tee, parts.snp, parts.ucode];
  else [bytes[0], bytes[1], bytes[6], bytes[7]] = [parts.bl, parts.tee, parts.snp, parts.ucode];
  return bytes.reduce((acc, v, i) => acc | (BigInt(v & 0xff) << BigInt(8 * i)), 0n);
}

export function tcbComponents(parts: TcbParts): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (parts.fmc !== undefined) out.push(['fmc', parts.fmc]);
  out.push(['bl', parts.bl], ['tee', parts.tee], ['snp', parts.snp], ['ucode', parts.ucode]);
  return out;
}

export function formatTcb(parts: TcbParts): string {
  return tcbComponents(parts)
    .map((c) => `${c[0]}=${c[1]}`)
    .join(' ');
}

/** Product line from CPUID (AMD family 19h: Milan models 00-0F, Genoa 10-1F and A0-AF; family 1Ah: Turin). */
export function productFromCpuid(cpuid: SnpReport['cpuid']): ProductLine | undefined {
  if (!cpuid || cpuid.family === 0) return undefined;
  if (cpuid.family === 0x19 && cpuid.model <= 0x0f) return 'Milan';
  if (cpuid.family === 0x19 && ((cpuid.model >= 0x10 && cpuid.model <= 0x1f) || (cpuid.model >= 0xa0 && cpuid.model <= 0xaf))) return 'Genoa';
  if (cpuid.family === 0x1a && cpuid.model <= 0x11) return 'Turin';
  return undefined;
}
