// Unwrap evidence layer by layer (base64 → EAT → vTPM protobuf / HCL → hardware report) into what the verifiers need.
import { fromBase64 } from './bytes';
import { type HclReport, parseHclReport } from './formats/azure-hcl';
import { type EatToken, parseEatCbor, parseEatJwt } from './formats/eat';
import { type VtpmAttestation, decodeVtpmAttestation } from './formats/vtpm-attestation';
import { sniffFormat } from './sniff';
import { type CertTableEntry, parseCertTable } from './snp/cert-table';
import { SNP_REPORT_SIZE } from './snp/report';
import type { SourcedCert } from './snp/endorsement';
import type { EvidenceFormat, Platform } from './verdict';

export interface DecodedEvidence {
  formatChain: EvidenceFormat[];
  platform: Platform;
  snp?: { report: Buffer; certs: SourcedCert[]; crls: SourcedCert[]; table?: CertTableEntry[] };
  hcl?: HclReport;
  tdxQuote?: Buffer;
  vtpm?: VtpmAttestation;
  eat?: EatToken;
}

export class EvidenceFormatError extends Error {
  override name = 'EvidenceFormatError';
  constructor(
    message: string,
    readonly formatChain: EvidenceFormat[],
  ) {
    super(message);
  }
}

export function decodeEvidence(input: Buffer): DecodedEvidence {
  const out: DecodedEvidence = { formatChain: [], platform: 'unknown' };
  let buf = input;
  for (let layer = 0; layer < 4; layer++) {
    const sniffed = sniffFormat(buf);
    out.formatChain.push(sniffed.format);
    const fail = (msg: string): never => {
      throw new EvidenceFormatError(msg, out.formatChain);
    };
    try {
      switch (sniffed.format) {
        case 'unknown':
          return fail(`unknown evidence format: ${sniffed.reason}`);
        case 'base64': {
          if (layer > 0) return fail('base64 nested inside another layer');
          const decoded = fromBase64(buf.toString('latin1'));
          if (sniffFormat(decoded).format === 'unknown' || sniffFormat(decoded).format === 'base64') return fail('base64 text that does not decode to a known evidence format');
          buf = decoded;
          continue;
        }
        case 'eat-cbor':
        case 'eat-jwt': {
          if (out.eat) return fail('EAT token nested inside an EAT token');
          out.eat = sniffed.format === 'eat-cbor' ? parseEatCbor(buf) : parseEatJwt(buf.toString('latin1'));
          buf = out.eat.rawReport;
          continue;
        }
        case 'snp-report': {
          const rest = buf.subarray(SNP_REPORT_SIZE);
          const table = rest.length > 0 && rest.some((b) => b !== 0) ? parseCertTable(rest) : undefined;
          const pick = (role: string): SourcedCert[] => (table ?? []).filter((e) => e.role === role).map((e) => ({ der: e.data, source: `evidence:cert-table:${e.role}` }));
          out.snp = { report: buf.subarray(0, SNP_REPORT_SIZE), certs: ['vcek', 'vlek', 'ask', 'ark'].flatMap(pick), crls: pick('crl'), table };
          out.platform = 'sev-snp';
          return out;
        }
        case 'azure-hcl-report': {
          out.hcl = parseHclReport(buf);
          out.snp = { report: out.hcl.snpReport, certs: [], crls: [] };
          out.platform = 'sev-snp';
          return out;
        }
        case 'vtpm-attestation': {
          out.vtpm = decodeVtpmAttestation(buf);
          if (out.vtpm.snp) {
            out.snp = { report: out.vtpm.snp.report, certs: out.vtpm.snp.certs.map((c) => ({ der: c.der, source: `evidence:sevsnp.certificate_chain:${c.role}` })), crls: [] };
            out.platform = 'sev-snp';
          } else {
            out.platform = 'vtpm';
          }
          return out;
        }
        case 'tdx-quote-v4':
        case 'tdx-quote-v5':
          out.tdxQuote = buf;
          out.platform = 'tdx';
          return out;
      }
    } catch (err) {
      if (err instanceof EvidenceFormatError) throw err;
      return fail(`${sniffed.format}: ${(err as Error).message}`);
    }
  }
  throw new EvidenceFormatError('too many nested evidence layers', out.formatChain);
}
