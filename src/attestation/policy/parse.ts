// Parse the Cocos attestation_policy JSON (go-sev-guest check.Config + pcr_values, or go-tdx-guest checkconfig.Config).
import { fromBase64, fromHex, isHex } from '../bytes';
import { unknownPolicyKeys } from './fields';
import { JsonNumber, type JsonObject, type JsonValue, parseJsonLossless } from './json';
import { type AttestationPolicy, type PcrBank, PolicyError, type ProductLine, type SnpPolicy, type TdxPolicy } from './types';

const U64_MAX = (1n << 64n) - 1n;

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Field lookup accepting the protojson snake_case and camelCase spellings; null counts as absent. */
function field(obj: JsonObject | undefined, snake: string): JsonValue | undefined {
  if (!obj) return undefined;
  const v = obj.has(snake) ? obj.get(snake) : obj.get(camel(snake));
  return v === null ? undefined : v;
}

function objectAt(obj: JsonObject | undefined, snake: string, path: string): JsonObject | undefined {
  const v = field(obj, snake);
  if (v === undefined) return undefined;
  if (!(v instanceof Map)) throw new PolicyError(`${path}: expected an object`);
  return v;
}

function unwrap(v: JsonValue): JsonValue {
  // google.protobuf wrapper types may appear as {"value": x}
  return v instanceof Map && v.has('value') ? v.get('value')! : v;
}

function uint(v: JsonValue | undefined, path: string, max: bigint): bigint | undefined {
  if (v === undefined) return undefined;
  const u = unwrap(v);
  let text: string;
  if (u instanceof JsonNumber) text = u.raw;
  else if (typeof u === 'string') text = u.trim();
  else throw new PolicyError(`${path}: expected an unsigned integer (number or string)`);
  let n: bigint;
  if (/^\d+$/.test(text)) n = BigInt(text);
  else if (/^0x[0-9a-fA-F]+$/.test(text)) n = BigInt(text);
  else throw new PolicyError(`${path}: not an unsigned integer: ${text}`);
  if (n > max) throw new PolicyError(`${path}: ${text} is out of range`);
  return n;
}

const u64 = (v: JsonValue | undefined, path: string): bigint | undefined => uint(v, path, U64_MAX);
function u32(v: JsonValue | undefined, path: string): number | undefined {
  const n = uint(v, path, 0xffffffffn);
  return n === undefined ? undefined : Number(n);
}

function bool(v: JsonValue | undefined, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new PolicyError(`${path}: expected true or false`);
  return v;
}

/** protojson bytes are base64; hex is accepted when it has exactly the field's size (unambiguous). */
function bytes(v: JsonValue | undefined, path: string, size?: number): Buffer | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new PolicyError(`${path}: expected a base64 string`);
  let out: Buffer;
  try {
    out = size !== undefined && v.length === size * 2 && isHex(v) ? fromHex(v) : fromBase64(v);
  } catch {
    throw new PolicyError(`${path}: not base64 (or ${size ?? '?'}-byte hex)`);
  }
  if (size !== undefined && out.length !== size) throw new PolicyError(`${path}: expected ${size} bytes, got ${out.length}`);
  return out;
}

function bytesList(v: JsonValue | undefined, path: string, size?: number): Buffer[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new PolicyError(`${path}: expected an array`);
  return v.map((item, i) => bytes(item, `${path}[${i}]`, size)!);
}

function stringList(v: JsonValue | undefined, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new PolicyError(`${path}: expected an array of strings`);
  return v as string[];
}

const PRODUCT_ENUM: Record<string, ProductLine | 'Unknown'> = {
  '0': 'Unknown',
  '1': 'Milan',
  '2': 'Genoa',
  '3': 'Turin',
  SEV_PRODUCT_UNKNOWN: 'Unknown',
  SEV_PRODUCT_MILAN: 'Milan',
  SEV_PRODUCT_GENOA: 'Genoa',
  SEV_PRODUCT_TURIN: 'Turin',
};

function productLine(v: JsonValue | undefined, path: string): ProductLine | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new PolicyError(`${path}: expected a product line name`);
  const name = v.trim().toLowerCase();
  for (const line of ['Milan', 'Genoa', 'Turin'] as const) if (name === line.toLowerCase()) return line;
  throw new PolicyError(`${path}: unknown product line ${v}`);
}

function product(v: JsonValue | undefined, path: string): SnpPolicy['product'] {
  if (v === undefined) return undefined;
  const name = v instanceof Map ? field(v, 'name') : v;
  if (name === undefined) return undefined;
  const key = name instanceof JsonNumber ? name.raw : typeof name === 'string' ? name : '';
  const line = PRODUCT_ENUM[key];
  if (!line) throw new PolicyError(`${path}.name: unknown product ${JSON.stringify(key)}`);
  return line;
}

function version(v: JsonValue | undefined, path: string): SnpPolicy['minimumVersion'] {
  if (v === undefined || v === '') return undefined;
  const text = v instanceof JsonNumber ? v.raw : typeof v === 'string' ? v : '';
  const m = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!m) throw new PolicyError(`${path}: expected "major.minor"`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function pcrValues(v: JsonValue | undefined): SnpPolicy['pcrValues'] {
  if (!(v instanceof Map)) return undefined;
  const out: NonNullable<SnpPolicy['pcrValues']> = {};
  const sizes: Record<PcrBank, number> = { sha1: 20, sha256: 32, sha384: 48 };
  for (const bank of ['sha1', 'sha256', 'sha384'] as const) {
    const entries = v.get(bank);
    if (entries === undefined || entries === null) continue;
    if (!(entries instanceof Map)) throw new PolicyError(`pcr_values.${bank}: expected an object`);
    const map = new Map<number, Buffer>();
    for (const [index, value] of entries) {
      const path = `pcr_values.${bank}.${index}`;
      if (!/^\d+$/.test(index) || Number(index) > 23) throw new PolicyError(`${path}: bad PCR index`);
      if (typeof value !== 'string' || !isHex(value) || value.length !== sizes[bank] * 2) {
        throw new PolicyError(`${path}: expected ${sizes[bank]}-byte hex`);
      }
      map.set(Number(index), fromHex(value));
    }
    out[bank] = map;
  }
  return out;
}

function parseSnp(root: JsonObject): SnpPolicy {
  const p = objectAt(root, 'policy', 'policy');
  const rot = objectAt(root, 'root_of_trust', 'root_of_trust');
  const at = (k: string): JsonValue | undefined => field(p, k);
  const path = (k: string): string => `policy.${k}`;
  return {
    kind: 'snp',
    minimumGuestSvn: u32(at('minimum_guest_svn'), path('minimum_guest_svn')),
    policy: u64(at('policy'), path('policy')),
    familyId: bytes(at('family_id'), path('family_id'), 16),
    imageId: bytes(at('image_id'), path('image_id'), 16),
    vmpl: u32(at('vmpl'), path('vmpl')),
    minimumTcb: u64(at('minimum_tcb'), path('minimum_tcb')),
    minimumLaunchTcb: u64(at('minimum_launch_tcb'), path('minimum_launch_tcb')),
    platformInfo: u64(at('platform_info'), path('platform_info')),
    requireAuthorKey: bool(at('require_author_key'), path('require_author_key')),
    requireIdBlock: bool(at('require_id_block'), path('require_id_block')),
    reportData: bytes(at('report_data'), path('report_data'), 64),
    measurement: bytes(at('measurement'), path('measurement'), 48),
    hostData: bytes(at('host_data'), path('host_data'), 32),
    reportId: bytes(at('report_id'), path('report_id'), 32),
    reportIdMa: bytes(at('report_id_ma'), path('report_id_ma'), 32),
    chipId: bytes(at('chip_id'), path('chip_id'), 64),
    minimumBuild: u32(at('minimum_build'), path('minimum_build')),
    minimumVersion: version(at('minimum_version'), path('minimum_version')),
    permitProvisionalFirmware: bool(at('permit_provisional_firmware'), path('permit_provisional_firmware')),
    trustedAuthorKeys: bytesList(at('trusted_author_keys'), path('trusted_author_keys')),
    trustedAuthorKeyHashes: bytesList(at('trusted_author_key_hashes'), path('trusted_author_key_hashes'), 48),
    trustedIdKeys: bytesList(at('trusted_id_keys'), path('trusted_id_keys')),
    trustedIdKeyHashes: bytesList(at('trusted_id_key_hashes'), path('trusted_id_key_hashes'), 48),
    product: product(at('product'), path('product')),
    rootOfTrust: {
      // product is the deprecated alias of product_line
      productLine: productLine(field(rot, 'product_line') ?? field(rot, 'product'), 'root_of_trust.product_line'),
      checkCrl: bool(field(rot, 'check_crl'), 'root_of_trust.check_crl') ?? false,
      disallowNetwork: bool(field(rot, 'disallow_network'), 'root_of_trust.disallow_network') ?? false,
      cabundles: stringList(field(rot, 'cabundles'), 'root_of_trust.cabundles'),
    },
    pcrValues: pcrValues(field(root, 'pcr_values')),
  };
}

function parseTdx(root: JsonObject): TdxPolicy {
  const p = objectAt(root, 'policy', 'policy');
  const h = objectAt(p, 'header_policy', 'policy.header_policy');
  const b = objectAt(p, 'td_quote_body_policy', 'policy.td_quote_body_policy');
  const rot = objectAt(root, 'root_of_trust', 'root_of_trust');
  const bp = (k: string): string => `policy.td_quote_body_policy.${k}`;
  const rtmrs = bytesList(field(b, 'rtmrs'), bp('rtmrs'), 48);
  if (rtmrs && rtmrs.length !== 4) throw new PolicyError(`${bp('rtmrs')}: expected 4 values, got ${rtmrs.length}`);
  return {
    kind: 'tdx',
    header: {
      minimumQeSvn: u32(field(h, 'minimum_qe_svn'), 'policy.header_policy.minimum_qe_svn'),
      minimumPceSvn: u32(field(h, 'minimum_pce_svn'), 'policy.header_policy.minimum_pce_svn'),
      qeVendorId: bytes(field(h, 'qe_vendor_id'), 'policy.header_policy.qe_vendor_id', 16),
    },
    body: {
      minimumTeeTcbSvn: bytes(field(b, 'minimum_tee_tcb_svn'), bp('minimum_tee_tcb_svn'), 16),
      mrSeam: bytes(field(b, 'mr_seam'), bp('mr_seam'), 48),
      tdAttributes: bytes(field(b, 'td_attributes'), bp('td_attributes'), 8),
      xfam: bytes(field(b, 'xfam'), bp('xfam'), 8),
      mrTd: bytes(field(b, 'mr_td'), bp('mr_td'), 48),
      mrConfigId: bytes(field(b, 'mr_config_id'), bp('mr_config_id'), 48),
      mrOwner: bytes(field(b, 'mr_owner'), bp('mr_owner'), 48),
      mrOwnerConfig: bytes(field(b, 'mr_owner_config'), bp('mr_owner_config'), 48),
      rtmrs,
      reportData: bytes(field(b, 'report_data'), bp('report_data'), 64),
      anyMrTd: bytesList(field(b, 'any_mr_td'), bp('any_mr_td'), 48),
    },
    rootOfTrust: {
      checkCrl: bool(field(rot, 'check_crl'), 'root_of_trust.check_crl') ?? false,
      getCollateral: bool(field(rot, 'get_collateral'), 'root_of_trust.get_collateral') ?? false,
    },
  };
}

/**
 * Parse policy JSON text; throws PolicyError with the offending field's path. Unknown keys are ignored (a policy
 * the provider serves may carry fields of a newer schema), or refused with `unknownKeys: 'refuse'`: what a person
 * pins must not lose a check to a misspelt key.
 */
export function parsePolicy(text: string, opts: { unknownKeys?: 'ignore' | 'refuse' } = {}): AttestationPolicy {
  let root: JsonValue;
  const source = text.replace(/^\uFEFF/, '');
  try {
    root = parseJsonLossless(source);
  } catch (err) {
    throw new PolicyError((err as Error).message);
  }
  if (!(root instanceof Map)) throw new PolicyError('policy: expected a JSON object');
  if (opts.unknownKeys === 'refuse') {
    const unknown = unknownPolicyKeys(JSON.parse(source));
    if (unknown.length > 0) throw new PolicyError(unknown.map((u) => `${u.path.join('.')}: ${u.message}`).join('; '));
  }
  const inner = objectAt(root, 'policy', 'policy');
  const isTdx = field(inner, 'header_policy') !== undefined || field(inner, 'td_quote_body_policy') !== undefined;
  return isTdx ? parseTdx(root) : parseSnp(root);
}
