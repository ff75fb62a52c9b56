// Writes an SEV-SNP certificate table (the layout src/attestation/snp/cert-table.ts parses), for the sandbox issuer.
import { guidBytes } from '../../attestation/snp/cert-table';

/** A table with the certificates after the entries. */
export function buildCertTable(entries: Array<{ guid: string; data: Buffer }>): Buffer {
  const headerSize = 24 * (entries.length + 1);
  const header = Buffer.alloc(headerSize);
  let offset = headerSize;
  entries.forEach((e, i) => {
    guidBytes(e.guid).copy(header, i * 24);
    header.writeUInt32LE(offset, i * 24 + 16);
    header.writeUInt32LE(e.data.length, i * 24 + 20);
    offset += e.data.length;
  });
  return Buffer.concat([header, ...entries.map((e) => e.data)]);
}
