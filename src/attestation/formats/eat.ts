// Cocos EAT tokens (COSE_Sign1 CBOR or JWT): the signing key is ephemeral, so only the embedded raw_report is evidence.
import { fromBase64 } from '../bytes';
import { CborTag, type CborValue, decodeCbor } from './cbor';

export interface EatToken {
  rawReport: Buffer;
  platformType?: string;
  nonce?: Buffer;
}

function mapGet(m: Map<CborValue, CborValue>, key: string | number): CborValue {
  return m.get(key);
}

export function parseEatCbor(buf: Buffer): EatToken {
  let top = decodeCbor(buf);
  if (top instanceof CborTag) {
    if (top.tag !== 18) throw new Error(`EAT: CBOR tag ${top.tag} is not COSE_Sign1 (18)`);
    top = top.value;
  }
  if (!Array.isArray(top) || top.length !== 4 || !Buffer.isBuffer(top[2])) throw new Error('EAT: not a COSE_Sign1 [protected, unprotected, payload, signature]');
  let claims = decodeCbor(top[2]);
  if (claims instanceof CborTag && claims.tag === 61) claims = claims.value; // CWT tag
  if (!(claims instanceof Map)) throw new Error('EAT: payload is not a claims map');
  const raw = mapGet(claims, 'raw_report');
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new Error('EAT: no raw_report claim');
  const platform = mapGet(claims, 'platform_type');
  const nonce = mapGet(claims, 10);
  return { rawReport: raw, platformType: typeof platform === 'string' ? platform : undefined, nonce: Buffer.isBuffer(nonce) ? nonce : undefined };
}

export function parseEatJwt(text: string): EatToken {
  const parts = text.trim().split('.');
  if (parts.length !== 3) throw new Error('EAT: a JWT has three dot-separated parts');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(fromBase64(parts[1]!).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('EAT: JWT payload is not base64url JSON');
  }
  // Go's encoding/json writes []byte as standard base64
  const raw = typeof claims.raw_report === 'string' ? fromBase64(claims.raw_report) : undefined;
  if (!raw || raw.length === 0) throw new Error('EAT: no raw_report claim');
  const nonce = typeof claims.eat_nonce === 'string' ? fromBase64(claims.eat_nonce) : undefined;
  return { rawReport: raw, platformType: typeof claims.platform_type === 'string' ? claims.platform_type : undefined, nonce };
}
