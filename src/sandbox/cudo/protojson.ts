// grpc-gateway/protojson output helpers for the CUDO sandbox: zero-value emission switch, gateway error bodies,
// exact Decimal money arithmetic.
import type { SandboxResponse } from '../http/server';
import { GRPC_CODES, HTTP_STATUS_FOR_GRPC, type GrpcCodeName } from '../../providers/cudo/errors';

/** Zero values of the enums the sandbox emits (proto enum 0): omitted like "" and 0 when not emitting unpopulated. */
const ZERO_ENUMS = new Set([
  'CLONING',
  'SSH_KEY_SOURCE_UNKNOWN',
  'COMMITMENT_TERM_NONE',
  'STORAGE_CLASS_UNKNOWN',
  'DISK_TYPE_UNKNOWN',
  'DISK_STATE_INIT',
  'PROTOCOL_UNKNOWN',
  'RULE_TYPE_UNKNOWN',
  'VROUTER_INSTANCE_UNKNOWN',
]);

/** Keys whose value is a `map<string,string>`: an empty map is unpopulated, its entries are data. */
const MAP_KEYS = new Set(['metadata']);

/**
 * With `emit` (grpc-gateway v2's default `EmitUnpopulated: true`) the object is returned as built: "", 0, false, [],
 * null for unset messages. Without it, protojson's compact form: every zero value and null is left out.
 */
export function protojson(value: unknown, emit: boolean): unknown {
  if (emit) return value;
  return strip(value);
}

function isZero(v: unknown): boolean {
  return v === null || v === undefined || v === '' || v === 0 || v === '0' || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'string' && ZERO_ENUMS.has(v));
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v && typeof v === 'object' ? strip(v) : v));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (MAP_KEYS.has(k) && v && typeof v === 'object') {
      if (Object.keys(v).length > 0) out[k] = v;
      continue;
    }
    // "0" is the zero of an int64 string and of a Decimal value; a Decimal message itself stays ({} when zero).
    if (isZero(v)) continue;
    out[k] = v && typeof v === 'object' ? strip(v) : v;
  }
  return out;
}

/** A grpc-gateway error answer: HTTP status from the gRPC code, body `{code, message, details}`. */
export function gatewayError(code: GrpcCodeName, message: string, details: unknown[] = []): SandboxResponse {
  return { status: HTTP_STATUS_FOR_GRPC[code], json: { code: GRPC_CODES.indexOf(code), message, details } };
}

/** CUDO's capacity refusal (dstack matches this text). */
export const NO_HOSTS_MESSAGE = 'There are no hosts available for your specified virtual machine';

// --- Decimal money, exact: values are kept as integer units of 1e-8 ----------------------------------------------

const SCALE = 8;

export function toUnits(decimal: string): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(decimal.trim());
  if (!m) throw new Error(`not a decimal: ${decimal}`);
  const frac = (m[3] ?? '').padEnd(SCALE, '0').slice(0, SCALE);
  const units = BigInt(m[2] || '0') * 10n ** BigInt(SCALE) + BigInt(frac || '0');
  return m[1] ? -units : units;
}

export function fromUnits(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / 10n ** BigInt(SCALE);
  let frac = (abs % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

export function dec(value: string): { value: string } {
  return { value: fromUnits(toUnits(value)) };
}
