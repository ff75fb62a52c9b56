// Keccak-256 (the pre-NIST padding Ethereum and dstack's MrConfig V2 use); node:crypto only has SHA3-256.
// Keccak-f[1600] on 25 64-bit lanes as BigInt: slow, but it hashes a few dozen bytes once per verification.

const MASK = (1n << 64n) - 1n;
const ROUNDS = 24;
const RATE_BYTES = 136; // 1088-bit rate for a 256-bit output

/** Round constants from the degree-8 LFSR of the Keccak reference (x^8 + x^6 + x^5 + x^4 + 1). */
const ROUND_CONSTANTS: bigint[] = (() => {
  const out: bigint[] = [];
  let r = 1;
  const step = (): number => {
    const bit = r & 1;
    r = r & 0x80 ? ((r << 1) ^ 0x71) & 0xff : (r << 1) & 0xff;
    return bit;
  };
  for (let i = 0; i < ROUNDS; i++) {
    let rc = 0n;
    for (let j = 0; j < 7; j++) if (step()) rc |= 1n << BigInt((1 << j) - 1);
    out.push(rc);
  }
  return out;
})();

/** Rotation offsets and the π lane permutation, derived as in the specification rather than tabulated. */
const { ROTATIONS, PI } = (() => {
  const rot = new Array<number>(25).fill(0);
  const pi = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    rot[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  // π moves lane (x, y) to (y, 2x + 3y)
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) pi[i + 5 * j] = j + 5 * ((2 * i + 3 * j) % 5);
  return { ROTATIONS: rot, PI: pi };
})();

const rotl = (v: bigint, n: number): bigint => (n === 0 ? v : ((v << BigInt(n)) | (v >> BigInt(64 - n))) & MASK);

function permute(a: bigint[]): void {
  const c = new Array<bigint>(5);
  const b = new Array<bigint>(25);
  for (let round = 0; round < ROUNDS; round++) {
    for (let x = 0; x < 5; x++) c[x] = a[x]! ^ a[x + 5]! ^ a[x + 10]! ^ a[x + 15]! ^ a[x + 20]!;
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5]! ^ rotl(c[(x + 1) % 5]!, 1);
      for (let y = 0; y < 25; y += 5) a[x + y] = a[x + y]! ^ d;
    }
    for (let i = 0; i < 25; i++) b[PI[i]!] = rotl(a[i]!, ROTATIONS[i]!);
    for (let y = 0; y < 25; y += 5) for (let x = 0; x < 5; x++) a[x + y] = b[x + y]! ^ (~b[((x + 1) % 5) + y]! & MASK & b[((x + 2) % 5) + y]!);
    a[0] = a[0]! ^ ROUND_CONSTANTS[round]!;
  }
}

/** The 256-bit sponge; `domain` is the first padding byte: 0x01 for Keccak, 0x06 for SHA3 (used to test against node). */
export function sponge256(data: Uint8Array, domain: 0x01 | 0x06): Buffer {
  const state = new Array<bigint>(25).fill(0n);
  const padded = Buffer.alloc(Math.ceil((data.length + 1) / RATE_BYTES) * RATE_BYTES);
  Buffer.from(data).copy(padded);
  padded[data.length] = padded[data.length]! ^ domain;
  padded[padded.length - 1] = padded[padded.length - 1]! ^ 0x80;
  for (let off = 0; off < padded.length; off += RATE_BYTES) {
    for (let i = 0; i < RATE_BYTES / 8; i++) state[i] = state[i]! ^ padded.readBigUInt64LE(off + i * 8);
    permute(state);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeBigUInt64LE(state[i]!, i * 8);
  return out;
}

export function keccak256(data: Uint8Array): Buffer {
  return sponge256(data, 0x01);
}
