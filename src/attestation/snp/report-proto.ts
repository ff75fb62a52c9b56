// go-sev-guest sevsnp.Report protobuf → the 1184-byte ABI layout, so the signature can be checked over the original bytes.
import { bytesField, decodeMessage, numField } from '../formats/protobuf';
import { SNP_REPORT_SIZE } from './report';

function put(buf: Buffer, off: number, value: Buffer | undefined, size: number, name: string): void {
  if (!value || value.length === 0) return;
  if (value.length !== size) throw new Error(`sevsnp.Report.${name}: expected ${size} bytes, got ${value.length}`);
  value.copy(buf, off);
}

/** Reserved bytes stay zero, as in go-sev-guest's ReportToAbiBytes. */
export function reportProtoToAbi(proto: Buffer): Buffer {
  const f = decodeMessage(proto);
  const n = (no: number): bigint => numField(f, no);
  const out = Buffer.alloc(SNP_REPORT_SIZE);
  const version = Number(n(1));
  out.writeUInt32LE(version, 0x000);
  out.writeUInt32LE(Number(n(2)), 0x004);
  out.writeBigUInt64LE(n(3), 0x008);
  put(out, 0x010, bytesField(f, 4), 16, 'family_id');
  put(out, 0x020, bytesField(f, 5), 16, 'image_id');
  out.writeUInt32LE(Number(n(6)), 0x030);
  out.writeUInt32LE(Number(n(7)), 0x034);
  out.writeBigUInt64LE(n(8), 0x038);
  out.writeBigUInt64LE(n(9), 0x040);
  out.writeUInt32LE(Number(n(10)), 0x048);
  put(out, 0x050, bytesField(f, 11), 64, 'report_data');
  put(out, 0x090, bytesField(f, 12), 48, 'measurement');
  put(out, 0x0c0, bytesField(f, 13), 32, 'host_data');
  put(out, 0x0e0, bytesField(f, 14), 48, 'id_key_digest');
  put(out, 0x110, bytesField(f, 15), 48, 'author_key_digest');
  put(out, 0x140, bytesField(f, 16), 32, 'report_id');
  put(out, 0x160, bytesField(f, 17), 32, 'report_id_ma');
  out.writeBigUInt64LE(n(18), 0x180);
  if (version >= 3) {
    // cpuid1eax_fms holds CPUID(1).EAX: family = base + extended, model = ext:base
    const fms = Number(n(29));
    const baseFamily = (fms >> 8) & 0xf;
    out[0x188] = baseFamily + ((fms >> 20) & 0xff);
    out[0x189] = (((fms >> 16) & 0xf) << 4) | ((fms >> 4) & 0xf);
    out[0x18a] = fms & 0xf;
  }
  put(out, 0x1a0, bytesField(f, 19), 64, 'chip_id');
  out.writeBigUInt64LE(n(20), 0x1e0);
  out[0x1e8] = Number(n(21));
  out[0x1e9] = Number(n(22));
  out[0x1ea] = Number(n(23));
  out[0x1ec] = Number(n(24));
  out[0x1ed] = Number(n(25));
  out[0x1ee] = Number(n(26));
  out.writeBigUInt64LE(n(27), 0x1f0);
  if (version >= 5) {
    out.writeBigUInt64LE(n(30), 0x1f8);
    out.writeBigUInt64LE(n(31), 0x200);
  }
  put(out, 0x2a0, bytesField(f, 28), 512, 'signature');
  return out;
}
