// CUDO error bodies (notes cudo.md §7): grpc-gateway `Status` `{code: <gRPC code>, message, details[]}`, and the
// AIP-193 form of CUDO's newer docs `{code: <HTTP>, status: "INVALID_ARGUMENT", message, details}` (also wrapped in
// `{error: {...}}`). A proxy's 502/504 may not be JSON at all. Everything maps onto the shared taxonomy.
import type { ErrorBodyInfo } from '../http/core';
import { kindForStatus, type ProviderErrorKind } from '../http/errors';

export const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type GrpcCodeName = (typeof GRPC_CODES)[number];

/** grpc-gateway v2 `HTTPStatusFromCode` defaults (what the sandbox answers too). */
export const HTTP_STATUS_FOR_GRPC: Record<GrpcCodeName, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** "There are no hosts available for your specified virtual machine" and "Network full": capacity, not a bad request. */
const CAPACITY_MESSAGE = /no hosts? (are )?available|insufficient (capacity|resources)|network full|out of capacity|no capacity/i;

interface Classified {
  kind: ProviderErrorKind;
  retryable?: boolean;
}

function classify(code: GrpcCodeName, message: string, details: unknown[]): Classified {
  const types = details.map((d) => (d && typeof d === 'object' ? String((d as Record<string, unknown>)['@type'] ?? '') : ''));
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
      // dstack treats code 3 "no hosts available" as no capacity; code 9 "Network full" likewise.
      if (CAPACITY_MESSAGE.test(message)) return { kind: 'capacity' };
      // A wrong-state action (mid-transition) is a state conflict: wait for a settled state, then act.
      return code === 'FAILED_PRECONDITION' ? { kind: 'conflict' } : { kind: 'invalid_request' };
    case 'OUT_OF_RANGE':
      return { kind: 'invalid_request' };
    case 'NOT_FOUND':
      return { kind: 'not_found' };
    case 'ALREADY_EXISTS':
      return { kind: 'conflict' };
    case 'ABORTED':
      return { kind: 'conflict', retryable: true }; // concurrency conflict: retry
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return { kind: 'auth' };
    case 'RESOURCE_EXHAUSTED':
      // A quota (QuotaFailure detail) does not lift by retrying; a rate limit does.
      if (types.some((t) => t.endsWith('QuotaFailure'))) return { kind: 'capacity', retryable: false };
      return { kind: 'rate_limited' };
    case 'DEADLINE_EXCEEDED':
      return { kind: 'timeout' }; // ambiguous on create: the caller must GET before retrying
    case 'UNIMPLEMENTED':
      return { kind: 'server', retryable: false };
    case 'CANCELLED':
    case 'UNKNOWN':
    case 'INTERNAL':
    case 'UNAVAILABLE':
    case 'DATA_LOSS':
      return { kind: 'server' };
    case 'OK':
      return { kind: 'server' };
  }
}

function grpcName(value: unknown): GrpcCodeName | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < GRPC_CODES.length) return GRPC_CODES[value];
  if (typeof value === 'string') {
    const upper = value.trim().toUpperCase();
    if ((GRPC_CODES as readonly string[]).includes(upper)) return upper as GrpcCodeName;
    if (/^\d+$/.test(upper)) return grpcName(Number(upper));
  }
  return undefined;
}

/** Reads a CUDO error body into code (the gRPC code name), message and kind. */
export function parseCudoErrorBody(status: number, body: unknown, text: string): ErrorBodyInfo {
  let obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (obj && obj.error && typeof obj.error === 'object' && !Array.isArray(obj.error)) obj = obj.error as Record<string, unknown>;
  if (!obj) {
    // Not JSON (a proxy page): keep a short, tag-free excerpt. 504 from a gateway = outcome unknown.
    const excerpt = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
    const message = `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}${status === 504 ? ' (gateway timeout: the request may still have taken effect)' : ''}`;
    return { message, kind: status === 504 ? 'timeout' : kindForStatus(status) };
  }
  const message = typeof obj.message === 'string' && obj.message !== '' ? obj.message : undefined;
  const details = Array.isArray(obj.details) ? obj.details : [];
  // AIP-193 names the gRPC status in `status`; otherwise `code` 0..16 is the gRPC code (>= 100 would be HTTP).
  let code = grpcName(obj.status);
  if (!code && typeof obj.code === 'number' && obj.code < 100) code = grpcName(obj.code);
  if (!code && typeof obj.code === 'string') code = grpcName(obj.code);
  if (!code) return { message: message ?? `HTTP ${status}`, kind: status === 504 ? 'timeout' : kindForStatus(status), ...(details.length ? { details: summariseDetails(details) } : {}) };
  const c = classify(code, message ?? '', details);
  // The HTTP status wins for auth and rate limits when body and status disagree (e.g. a 401 with code 2),
  // except that a 429 carrying a QuotaFailure is a quota (capacity, no retry), not a rate limit.
  let kind = c.kind;
  if (status === 401 || status === 403) kind = 'auth';
  else if (status === 429 && kind !== 'rate_limited' && kind !== 'capacity') kind = 'rate_limited';
  return {
    code,
    message: message ?? code,
    kind,
    ...(c.retryable !== undefined && kind === c.kind ? { retryable: c.retryable } : {}),
    ...(details.length ? { details: summariseDetails(details) } : {}),
  };
}

/** Keeps the useful, secret-free parts of `google.rpc` details (type, reason, field violations, retry delay). */
function summariseDetails(details: unknown[]): unknown[] {
  return details.slice(0, 10).map((d) => {
    if (!d || typeof d !== 'object') return d;
    const r = d as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of ['@type', 'reason', 'domain', 'fieldViolations', 'violations', 'retryDelay', 'metadata']) if (r[k] !== undefined) out[k] = r[k];
    return out;
  });
}
