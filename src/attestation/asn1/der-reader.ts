// Minimal DER reader: Node's X509Certificate hides extensions and exact validity, so we walk the TBS ourselves.

export interface DerNode {
  tag: number; // full identifier octet (class | constructed | number), single-byte tags only
  header: number; // offset of the identifier octet in the source
  start: number; // offset of the content
  end: number; // offset just past the content
  src: Buffer;
}

export function readNode(src: Buffer, offset: number): DerNode {
  if (offset + 2 > src.length) throw new Error('DER: truncated header');
  const tag = src[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let len = src[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length encoding');
    if (pos + n > src.length) throw new Error('DER: truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + src[pos + i]!;
    pos += n;
  }
  if (pos + len > src.length) throw new Error('DER: content runs past the end');
  return { tag, header: offset, start: pos, end: pos + len, src };
}

export function content(node: DerNode): Buffer {
  return node.src.subarray(node.start, node.end);
}

/** The whole TLV, e.g. to hash or re-sign a TBSCertificate. */
export function encoded(node: DerNode): Buffer {
  return node.src.subarray(node.header, node.end);
}

export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let pos = node.start; pos < node.end; ) {
    const child = readNode(node.src, pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new Error(`DER: expected ${what} (tag 0x${tag.toString(16)}), got 0x${node.tag.toString(16)}`);
  return node;
}

export function decodeOid(node: DerNode): string {
  const b = content(expectTag(node, 0x06, 'OID'));
  if (b.length === 0) throw new Error('DER: empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const byte of b) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** Non-negative INTEGER as bigint (the AMD SPL extensions and serial numbers). */
export function decodeUnsigned(node: DerNode): bigint {
  const b = content(expectTag(node, 0x02, 'INTEGER'));
  if (b.length === 0) throw new Error('DER: empty INTEGER');
  if (b[0]! & 0x80) throw new Error('DER: negative INTEGER');
  return BigInt(`0x${b.toString('hex')}`);
}

/** UTCTime or GeneralizedTime (Z form only, as RFC 5280 requires) to epoch milliseconds. */
export function decodeTime(node: DerNode): number {
  const text = content(node).toString('latin1');
  let m: RegExpExecArray | null;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    return Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (node.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new Error(`DER: unsupported time ${text}`);
}

export function decodeString(node: DerNode): string {
  // UTF8String, PrintableString, IA5String: the only string types AMD and Intel certificates use
  if (![0x0c, 0x13, 0x16].includes(node.tag)) throw new Error(`DER: not a string (tag 0x${node.tag.toString(16)})`);
  return content(node).toString(node.tag === 0x0c ? 'utf8' : 'latin1');
}
