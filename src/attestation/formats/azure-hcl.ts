// Azure vTPM "HCLA" report: hardware report at 0x20, then the IGVM request header and the runtime-claims JSON it hashes.
import { LeReader } from '../bytes';
import { SNP_REPORT_SIZE } from '../snp/report';

export const HCL_MAGIC = Buffer.from('HCLA', 'latin1');
const HW_REPORT_OFFSET = 0x20;
const HCL_HASH: Record<number, string> = { 1: 'sha256', 2: 'sha384', 3: 'sha512' };

export interface HclReport {
  reportType: number;
  snpReport: Buffer;
  /** IGVM request data report_type: 2 SNP, 4 TDX. */
  requestReportType: number;
  hashAlgorithm?: string;
  runtimeData: Buffer;
}

export function parseHclReport(buf: Buffer): HclReport {
  const r = new LeReader(buf);
  if (!r.bytes(0, 4).equals(HCL_MAGIC)) throw new Error('not an HCL report (magic)');
  const reportType = r.u32(0x0c);
  if (reportType !== 2) throw new Error(`HCL report type ${reportType} is not SEV-SNP (2); Azure TDX HCL is not supported`);
  const snpReport = r.bytes(HW_REPORT_OFFSET, SNP_REPORT_SIZE);
  const igvm = HW_REPORT_OFFSET + SNP_REPORT_SIZE;
  const requestReportType = r.u32(igvm + 8);
  const hashType = r.u32(igvm + 12);
  const variableSize = r.u32(igvm + 16);
  return { reportType, snpReport, requestReportType, hashAlgorithm: HCL_HASH[hashType], runtimeData: r.bytes(igvm + 20, variableSize) };
}
