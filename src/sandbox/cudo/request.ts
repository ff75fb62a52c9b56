// Request parsing as grpc-gateway and protojson do it: snake_case or camelCase fields, ints as numbers or strings,
// enums by name or number, typed query parameters; a bad value is a 400 INVALID_ARGUMENT with Go's wording.
import type { SandboxRequest, SandboxResponse } from '../http/server';
import { gatewayError } from './protojson';

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** protojson accepts proto field names (snake_case) on input; map keys (metadata) are data and stay as they are. */
export function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const ck = camel(k);
    out[ck] = ck === 'metadata' ? v : camelize(v);
  }
  return out;
}

export class BadRequest extends Error {
  constructor(readonly response: SandboxResponse) {
    super('bad request');
  }
}

export function invalid(message: string): never {
  throw new BadRequest(gatewayError('INVALID_ARGUMENT', message));
}

/** A proto int field: number or numeric string, like protojson. */
export function intField(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return invalid(`proto: (line 1:1): invalid value for int32 field ${name}: ${JSON.stringify(v)}`);
}

export function strField(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  return invalid(`proto: (line 1:1): invalid value for string field ${name}: ${JSON.stringify(v)}`);
}

export function enumField<N extends readonly string[]>(v: unknown, names: N, name: string): N[number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && names[v] !== undefined) return names[v];
  if (typeof v === 'string' && (names as readonly string[]).includes(v)) return v;
  return invalid(`proto: (line 1:1): invalid value for enum field ${name}: ${JSON.stringify(v)}`);
}

/** A query parameter as grpc-gateway parses it. */
export function queryInt(req: SandboxRequest, name: string): number | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) invalid(`type mismatch, parameter: ${name}, error: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export function queryBool(req: SandboxRequest, name: string): boolean | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return invalid(`type mismatch, parameter: ${name}, error: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}
