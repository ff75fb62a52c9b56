// Protobuf wire-format reader: enough to walk go-tpm-tools and go-sev-guest messages without generated code.

export interface ProtoField {
  no: number;
  wire: number;
  /** varint / fixed values */
  num?: bigint;
  /** length-delimited payload */
  bytes?: Buffer;
}

export function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
  }
  throw new Error('protobuf: varint too long');
}

export function decodeMessage(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (no === 0) throw new Error('protobuf: field number 0');
    if (wire === 0) {
      const [v, p] = readVarint(buf, pos);
      out.push({ no, wire, num: v });
      pos = p;
    } else if (wire === 2) {
      const [len, p] = readVarint(buf, pos);
      const end = p + Number(len);
      if (end > buf.length) throw new Error(`protobuf: field ${no} runs past the end`);
      out.push({ no, wire, bytes: buf.subarray(p, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > buf.length) throw new Error('protobuf: truncated fixed field');
      out.push({ no, wire, num: wire === 1 ? buf.readBigUInt64LE(pos) : BigInt(buf.readUInt32LE(pos)) });
      pos += size;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
  return out;
}

export function bytesField(fields: ProtoField[], no: number): Buffer | undefined {
  return fields.filter((f) => f.no === no && f.bytes).pop()?.bytes;
}

export function repeatedBytes(fields: ProtoField[], no: number): Buffer[] {
  return fields.filter((f) => f.no === no && f.bytes).map((f) => f.bytes!);
}

export function numField(fields: ProtoField[], no: number): bigint {
  return fields.filter((f) => f.no === no && f.num !== undefined).pop()?.num ?? 0n;
}
