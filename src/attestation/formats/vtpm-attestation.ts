// go-tpm-tools attest.Attestation protobuf (what Cocos agents push to Prism): vTPM quotes plus an embedded TEE attestation.
import { bytesField, decodeMessage, numField, repeatedBytes } from './protobuf';
import { reportProtoToAbi } from '../snp/report-proto';

export interface TpmQuoteMsg {
  quote: Buffer;
  rawSig: Buffer;
  /** TPM algorithm id of the bank (4 SHA-1, 11 SHA-256, 12 SHA-384). */
  pcrHash: number;
  pcrs: Map<number, Buffer>;
}

export interface VtpmAttestation {
  akPub: Buffer;
  quotes: TpmQuoteMsg[];
  eventLog?: Buffer;
  snp?: { report: Buffer; certs: Array<{ role: string; der: Buffer }> };
  /** A go-tdx-guest QuoteV4 proto is present (not re-serialised here). */
  hasTdx: boolean;
}

function decodePcrs(buf: Buffer | undefined): { hash: number; pcrs: Map<number, Buffer> } {
  const pcrs = new Map<number, Buffer>();
  if (!buf) return { hash: 0, pcrs };
  const f = decodeMessage(buf);
  for (const entry of repeatedBytes(f, 2)) {
    const e = decodeMessage(entry);
    pcrs.set(Number(numField(e, 1)), bytesField(e, 2) ?? Buffer.alloc(0));
  }
  return { hash: Number(numField(f, 1)), pcrs };
}

export function decodeVtpmAttestation(buf: Buffer): VtpmAttestation {
  const f = decodeMessage(buf);
  const akPub = bytesField(f, 1);
  if (!akPub) throw new Error('attest.Attestation: no ak_pub (field 1)');
  const quotes = repeatedBytes(f, 2).map((q) => {
    const qf = decodeMessage(q);
    const { hash, pcrs } = decodePcrs(bytesField(qf, 3));
    return { quote: bytesField(qf, 1) ?? Buffer.alloc(0), rawSig: bytesField(qf, 2) ?? Buffer.alloc(0), pcrHash: hash, pcrs };
  });
  let snp: VtpmAttestation['snp'];
  const sev = bytesField(f, 8);
  if (sev) {
    const sf = decodeMessage(sev);
    const reportProto = bytesField(sf, 1);
    if (!reportProto) throw new Error('sevsnp.Attestation: no report');
    const chain = bytesField(sf, 2);
    const certs: Array<{ role: string; der: Buffer }> = [];
    if (chain) {
      const cf = decodeMessage(chain);
      for (const [no, role] of [[1, 'vcek'], [6, 'vlek'], [2, 'ask'], [3, 'ark']] as const) {
        const der = bytesField(cf, no);
        if (der && der.length > 0) certs.push({ role, der });
      }
    }
    snp = { report: reportProtoToAbi(reportProto), certs };
  }
  return { akPub, quotes, eventLog: bytesField(f, 3), snp, hasTdx: !!bytesField(f, 9) };
}
