// Minimal CBOR decoder (RFC 8949) for COSE_Sign1 EAT tokens: definite lengths, no floats beyond skipping.

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export type CborValue = number | bigint | string | boolean | null | undefined | Buffer | CborValue[] | Map<CborValue, CborValue> | CborTag;

export function decodeCbor(buf: Buffer): CborValue {
  const [value, end] = item(buf, 0, 0);
  if (end !== buf.length) throw new Error('CBOR: trailing bytes');
  return value;
}

function head(buf: Buffer, pos: number): [number, number, bigint, number] {
  if (pos >= buf.length) throw new Error('CBOR: truncated');
  const b = buf[pos]!;
  const major = b >> 5;
  const info = b & 0x1f;
  if (info < 24) return [major, info, BigInt(info), pos + 1];
  const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
  if (!size) throw new Error('CBOR: indefinite lengths are not supported');
  if (pos + 1 + size > buf.length) throw new Error('CBOR: truncated');
  const v = size === 8 ? buf.readBigUInt64BE(pos + 1) : BigInt(buf.readUIntBE(pos + 1, size));
  return [major, info, v, pos + 1 + size];
}

function item(buf: Buffer, pos: number, depth: number): [CborValue, number] {
  if (depth > 32) throw new Error('CBOR: nesting too deep');
  const [major, info, arg, next] = head(buf, pos);
  const small = (): number => {
    if (arg > BigInt(buf.length)) throw new Error('CBOR: length past the end');
    return Number(arg);
  };
  switch (major) {
    case 0:
      return [arg <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(arg) : arg, next];
    case 1:
      return [arg < BigInt(Number.MAX_SAFE_INTEGER) ? -1 - Number(arg) : -1n - arg, next];
    case 2:
    case 3: {
      const end = next + small();
      if (end > buf.length) throw new Error('CBOR: string past the end');
      const b = buf.subarray(next, end);
      return [major === 2 ? b : b.toString('utf8'), end];
    }
    case 4: {
      const out: CborValue[] = [];
      let p = next;
      for (let i = 0, n = small(); i < n; i++) {
        const [v, q] = item(buf, p, depth + 1);
        out.push(v);
        p = q;
      }
      return [out, p];
    }
    case 5: {
      const out = new Map<CborValue, CborValue>();
      let p = next;
      for (let i = 0, n = small(); i < n; i++) {
        const [k, q] = item(buf, p, depth + 1);
        const [v, r] = item(buf, q, depth + 1);
        out.set(k, v);
        p = r;
      }
      return [out, p];
    }
    case 6: {
      const [v, p] = item(buf, next, depth + 1);
      return [new CborTag(Number(arg), v), p];
    }
    default: {
      if (info === 20) return [false, next];
      if (info === 21) return [true, next];
      if (info === 22) return [null, next];
      if (info === 23) return [undefined, next];
      if (info >= 25 && info <= 27) return [Number.NaN, next]; // floats: not used by the claims we read
      throw new Error('CBOR: unsupported simple value');
    }
  }
}
