// Recognise the evidence format from its first bytes (see provider notes §1.3); anything else fails closed.
import { HCL_MAGIC } from './formats/azure-hcl';
import { SNP_REPORT_SIZE, SUPPORTED_REPORT_VERSIONS } from './snp/report';
import type { EvidenceFormat } from './verdict';

export interface Sniffed {
  format: EvidenceFormat;
  /** Why the bytes were not recognised, for the failing check. */
  reason?: string;
}

const TDX_HEADER_TAIL = Buffer.from([0x02, 0x00, 0x81, 0x00, 0x00, 0x00]); // att key type 2 (ECDSA P-256), TEE 0x81
const BASE64_TEXT = /^[A-Za-z0-9+/=_\-\s]+$/;

export function sniffFormat(buf: Buffer): Sniffed {
  if (buf.length < 4) return { format: 'unknown', reason: `evidence is only ${buf.length} bytes` };
  if (buf.subarray(0, 4).equals(HCL_MAGIC)) return { format: 'azure-hcl-report' };
  if ((buf[0] === 4 || buf[0] === 5) && buf[1] === 0 && buf.subarray(2, 8).equals(TDX_HEADER_TAIL)) return { format: buf[0] === 4 ? 'tdx-quote-v4' : 'tdx-quote-v5' };
  if (buf[0] === 3 && buf[1] === 0 && buf[2] === 2 && buf[3] === 0 && buf.readUInt32LE(4) === 0) return { format: 'unknown', reason: 'an SGX quote (v3, TEE type 0): SGX enclaves are not supported' };
  const version = buf.readUInt32LE(0);
  if (SUPPORTED_REPORT_VERSIONS.includes(version)) {
    if (buf.length >= SNP_REPORT_SIZE) return { format: 'snp-report' };
    return { format: 'unknown', reason: `looks like an SEV-SNP report v${version} but has ${buf.length} bytes (< ${SNP_REPORT_SIZE})` };
  }
  if (buf[0] === 0xd2 && buf[1] === 0x84) return { format: 'eat-cbor' };
  if (buf[0] === 0x0a) return { format: 'vtpm-attestation' }; // protobuf field 1 (ak_pub), length-delimited
  const head = buf.subarray(0, 3).toString('latin1');
  if (head === 'eyJ' && buf.includes(0x2e)) return { format: 'eat-jwt' };
  const text = buf.toString('latin1');
  if (BASE64_TEXT.test(text) && text.trim().length >= 16) return { format: 'base64' };
  return { format: 'unknown', reason: `unrecognised leading bytes ${buf.subarray(0, 8).toString('hex')} (${buf.length} bytes)` };
}
