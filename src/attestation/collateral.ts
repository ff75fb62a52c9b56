// Collateral the evidence does not carry (VCEK, AMD CRL, Intel TDX collateral): from a cache folder, or the vendors'
// endpoints when allowed. This is the only I/O in src/attestation; a Temporal activity can wrap gatherCollateral.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Quote, utils as dcapUtils } from '@phala/dcap-qvl';
import { fetch as undiciFetch } from 'undici';
import { errorMessage, toHex } from './bytes';
import { decodeEvidence } from './evidence';
import type { CollateralBundle } from './input';
import type { ProductLine } from './policy/types';
import { OID } from './snp/endorsement';
import { type SnpReport, decodeTcb, parseSnpReport, productFromCpuid } from './snp/report';
import type { DcapCollateral } from './tdx/verify';
import { rawTopLevelMember } from './policy/json';
import { certificatesFrom, parseCertificate } from './x509';

export interface FetchResponseLike {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<FetchResponseLike>;

export interface CollateralOptions {
  /** Folder for cached certificates and collateral (read first, written after a fetch). */
  cacheDir?: string;
  /** Off by default: without it only the cache is used. */
  allowNetwork?: boolean;
  fetch?: FetchLike;
  kdsBaseUrl?: string;
  pcsBaseUrl?: string;
  intelRootCaCrlUrl?: string;
  /** Product line for SNP reports that do not carry CPUID (v2); else taken from the report, defaulting to Milan. */
  productLine?: ProductLine;
  /** Also fetch the AMD CRL (policies with root_of_trust.check_crl). */
  includeCrl?: boolean;
  /** Time used to decide whether cached TDX collateral is still current (default: now; this module may read the clock). */
  at?: Date;
  timeoutMs?: number;
}

export interface GatheredCollateral {
  collateral: CollateralBundle;
  /** One line per item: where it came from, or why it is missing. */
  log: string[];
}

export const AMD_KDS_URL = 'https://kdsintf.amd.com';
export const INTEL_PCS_URL = 'https://api.trustedservices.intel.com';
export const INTEL_ROOT_CA_CRL_URL = 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';

class Source {
  constructor(
    private readonly opts: CollateralOptions,
    readonly log: string[],
  ) {}

  async cached(rel: string): Promise<Buffer | undefined> {
    if (!this.opts.cacheDir) return undefined;
    try {
      return await readFile(path.join(this.opts.cacheDir, rel));
    } catch {
      return undefined;
    }
  }

  async store(rel: string, data: Buffer | string): Promise<void> {
    if (!this.opts.cacheDir) return;
    const file = path.join(this.opts.cacheDir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
  }

  async get(url: string): Promise<{ body: Buffer; header: (n: string) => string | undefined } | undefined> {
    if (!this.opts.allowNetwork) return undefined;
    const doFetch: FetchLike = this.opts.fetch ?? (undiciFetch as unknown as FetchLike);
    const res = await doFetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    return { body, header: (n) => res.headers.get(n) ?? undefined };
  }
}

function kdsVcekUrl(base: string, line: ProductLine, report: SnpReport): string {
  const tcb = decodeTcb(report.reportedTcb, line);
  // Turin VCEKs are keyed by the 8-byte HWID and also take fmcSPL
  const hwid = toHex(line === 'Turin' ? report.chipId.subarray(0, 8) : report.chipId);
  const q = [`blSPL=${tcb.bl}`, `teeSPL=${tcb.tee}`, `snpSPL=${tcb.snp}`, `ucodeSPL=${tcb.ucode}`];
  if (line === 'Turin') q.unshift(`fmcSPL=${tcb.fmc ?? 0}`);
  return `${base}/vcek/v1/${line}/${hwid}?${q.join('&')}`;
}

async function snpCollateral(report: SnpReport, hasLeaf: boolean, src: Source, opts: CollateralOptions, out: CollateralBundle): Promise<void> {
  const line = opts.productLine ?? productFromCpuid(report.cpuid) ?? 'Milan';
  const base = (opts.kdsBaseUrl ?? AMD_KDS_URL).replace(/\/$/, '');
  if (hasLeaf) src.log.push('VCEK/VLEK: in the evidence');
  else if (report.signingKey === 1) src.log.push('VLEK: not in the evidence; KDS does not serve VLEKs (the cloud provider must supply it)');
  else {
    const tcbHex = report.reportedTcb.toString(16).padStart(16, '0');
    const rel = path.join('amd', line, 'vcek', `${toHex(report.chipId).slice(0, 32)}-${tcbHex}.der`);
    let der = await src.cached(rel);
    if (der) src.log.push(`VCEK: cache ${rel}`);
    else {
      try {
        const res = await src.get(kdsVcekUrl(base, line, report));
        if (res) {
          der = certificatesFrom(res.body)[0];
          if (der) {
            await src.store(rel, der);
            src.log.push(`VCEK: fetched from AMD KDS (${line})`);
          }
        } else src.log.push('VCEK: not cached and network fetching is disabled');
      } catch (err) {
        src.log.push(`VCEK: ${errorMessage(err)}`);
      }
    }
    if (der) out.certificates!.push(der);
  }
  if (opts.includeCrl) {
    const rel = path.join('amd', line, 'crl.der');
    let crl = await src.cached(rel);
    try {
      if (!crl) {
        const res = await src.get(`${base}/vcek/v1/${line}/crl`);
        if (res) {
          crl = res.body;
          await src.store(rel, crl);
        }
      }
    } catch (err) {
      src.log.push(`CRL: ${errorMessage(err)}`);
    }
    if (crl) out.crls!.push(crl);
    src.log.push(crl ? 'AMD CRL: available' : 'AMD CRL: not available');
  }
}

function pckInfo(quoteBytes: Buffer): { fmspc: string; ca: 'processor' | 'platform' } {
  const pem = Buffer.from(Quote.parse(quoteBytes).authData.intoV3().certificationData.body);
  const leaf = certificatesFrom(pem)[0];
  if (!leaf) throw new Error('no PCK certificate in the quote (cert data type 5 needed)');
  const fmspc = toHex(dcapUtils.getFmspc(dcapUtils.getIntelExtension(leaf))).toUpperCase();
  const issuer = parseCertificate(leaf).issuerCn;
  return { fmspc, ca: /Platform/i.test(issuer) ? 'platform' : 'processor' };
}

function collateralCurrent(c: DcapCollateral, atMs: number): boolean {
  try {
    const t = JSON.parse(c.tcb_info) as { nextUpdate?: string };
    const q = JSON.parse(c.qe_identity) as { nextUpdate?: string };
    return Date.parse(t.nextUpdate ?? '') >= atMs && Date.parse(q.nextUpdate ?? '') >= atMs;
  } catch {
    return false;
  }
}

async function tdxCollateral(quote: Buffer, src: Source, opts: CollateralOptions): Promise<DcapCollateral | undefined> {
  const { fmspc, ca } = pckInfo(quote);
  const rel = path.join('intel', `tdx-${fmspc}-${ca}.json`);
  const atMs = opts.at?.getTime() ?? Date.now();
  const cached = await src.cached(rel);
  if (cached) {
    const c = JSON.parse(cached.toString('utf8')) as DcapCollateral;
    if (collateralCurrent(c, atMs) || !opts.allowNetwork) {
      src.log.push(`TDX collateral: cache ${rel}`);
      return c;
    }
  }
  const base = (opts.pcsBaseUrl ?? INTEL_PCS_URL).replace(/\/$/, '');
  const chain = (res: { header: (n: string) => string | undefined }, ...names: string[]): string => {
    for (const n of names) {
      const v = res.header(n);
      if (v) return decodeURIComponent(v);
    }
    throw new Error(`missing ${names[0]} header`);
  };
  try {
    const crl = await src.get(`${base}/sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`);
    if (!crl) {
      src.log.push('TDX collateral: not cached and network fetching is disabled');
      return undefined;
    }
    const tcb = (await src.get(`${base}/tdx/certification/v4/tcb?fmspc=${fmspc}`))!;
    const qe = (await src.get(`${base}/tdx/certification/v4/qe/identity`))!;
    const root = (await src.get(opts.intelRootCaCrlUrl ?? INTEL_ROOT_CA_CRL_URL))!;
    const tcbText = tcb.body.toString('utf8');
    const qeText = qe.body.toString('utf8');
    // The signatures cover the exact bytes of the inner objects, so take them verbatim from the response text
    const collateral: DcapCollateral = {
      pck_crl_issuer_chain: chain(crl, 'SGX-PCK-CRL-Issuer-Chain'),
      root_ca_crl: toHex(root.body),
      pck_crl: toHex(crl.body),
      tcb_info_issuer_chain: chain(tcb, 'TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain'),
      tcb_info: rawTopLevelMember(tcbText, 'tcbInfo') ?? '',
      tcb_info_signature: (JSON.parse(tcbText) as { signature: string }).signature,
      qe_identity_issuer_chain: chain(qe, 'SGX-Enclave-Identity-Issuer-Chain'),
      qe_identity: rawTopLevelMember(qeText, 'enclaveIdentity') ?? '',
      qe_identity_signature: (JSON.parse(qeText) as { signature: string }).signature,
    };
    await src.store(rel, JSON.stringify(collateral, null, 2));
    src.log.push(`TDX collateral: fetched from Intel PCS (FMSPC ${fmspc}, ${ca} CA)`);
    return collateral;
  } catch (err) {
    src.log.push(`TDX collateral: ${errorMessage(err)}`);
    return cached ? (JSON.parse(cached.toString('utf8')) as DcapCollateral) : undefined;
  }
}

/** Gather what verifyEvidence needs beyond the evidence; never throws for missing items (they are logged). */
export async function gatherCollateral(evidence: Uint8Array, opts: CollateralOptions = {}): Promise<GatheredCollateral> {
  const src = new Source(opts, []);
  const out: CollateralBundle = { certificates: [], crls: [] };
  let decoded;
  try {
    decoded = decodeEvidence(Buffer.from(evidence));
  } catch (err) {
    src.log.push(`evidence: ${errorMessage(err)}`);
    return { collateral: out, log: src.log };
  }
  if (decoded.snp) {
    try {
      const report = parseSnpReport(decoded.snp.report);
      const hasLeaf = decoded.snp.certs.some((c) => {
        try {
          const cert = parseCertificate(c.der);
          return cert.keyType === 'ec' || cert.extensions.has(OID.hwid);
        } catch {
          return false;
        }
      });
      await snpCollateral(report, hasLeaf, src, opts, out);
    } catch (err) {
      src.log.push(`SEV-SNP: ${errorMessage(err)}`);
    }
  }
  if (decoded.tdxQuote) {
    try {
      out.tdx = await tdxCollateral(decoded.tdxQuote, src, opts);
    } catch (err) {
      src.log.push(`TDX: ${errorMessage(err)}`);
    }
  }
  return { collateral: out, log: src.log };
}
