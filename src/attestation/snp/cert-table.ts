// The certificate table that may follow a raw SNP report (GHCB extended guest request / go-sev-guest layout).
import { LeReader, isAllZero } from '../bytes';

export const CERT_TABLE_GUIDS: Record<string, 'vcek' | 'vlek' | 'ask' | 'ark' | 'crl'> = {
  '63da758d-e664-4564-adc5-f4b93be8accd': 'vcek',
  'a8074bc2-a25a-483e-aae6-39c045a0b8a1': 'vlek',
  '4ab7b379-bbac-4fe4-a02f-05aef327c782': 'ask',
  'c0b406a4-a803-4952-9743-3fb6014cd0ae': 'ark',
  '92f81bc3-5811-4d3d-97ff-d19f88dc67ea': 'crl',
};

export interface CertTableEntry {
  guid: string;
  role: string;
  data: Buffer;
}

/** GUID bytes as go-sev-guest writes them (RFC 4122 byte order). */
function guidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The same GUID in the Microsoft mixed-endian byte order some hosts use. */
function guidTextMixed(b: Buffer): string {
  const swapped = Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
  return guidText(swapped);
}

export function guidBytes(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, ''), 'hex');
}

export function parseCertTable(table: Buffer): CertTableEntry[] {
  const r = new LeReader(table);
  const out: CertTableEntry[] = [];
  for (let pos = 0; ; pos += 24) {
    if (pos + 24 > table.length) throw new Error('certificate table: missing terminator entry');
    const entry = r.bytes(pos, 24);
    if (isAllZero(entry)) break;
    const guidRaw = entry.subarray(0, 16);
    const offset = r.u32(pos + 16);
    const length = r.u32(pos + 20);
    if (offset + length > table.length) throw new Error(`certificate table: entry ${out.length} runs past the table`);
    const guid = guidText(guidRaw);
    const role = CERT_TABLE_GUIDS[guid] ?? CERT_TABLE_GUIDS[guidTextMixed(guidRaw)] ?? 'other';
    out.push({ guid, role, data: table.subarray(offset, offset + length) });
  }
  return out;
}
