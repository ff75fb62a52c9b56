// Phala Cloud error bodies (provider-notes/phala.md §5): FastAPI `{detail}` where detail is a string, a 422
// validation array or a structured `{error_code, message, details, suggestions, links}`; plus the non-standard
// statuses 465–468 of the on-chain KMS flow and 409 "busy" operation locks.
import type { ErrorBodyInfo } from '../http/core';
import type { ProviderErrorKind } from '../http/errors';
import { ApiErrorSchema, StructuredErrorSchema, ValidationIssueSchema } from './schemas';

/** The SDK's `ErrorCodes` that cvmflow branches on. */
export const PhalaErrorCodes = {
  NODE_NOT_FOUND: 'ERR-01-001',
  COMPOSE_FILE_REQUIRED: 'ERR-01-002',
  INVALID_COMPOSE_FILE: 'ERR-01-003',
  DUPLICATE_CVM_NAME: 'ERR-01-004',
  HASH_REGISTRATION_REQUIRED: 'ERR-01-005',
  HASH_INVALID_OR_EXPIRED: 'ERR-01-006',
  TX_VERIFICATION_FAILED: 'ERR-01-007',
  HASH_NOT_ALLOWED: 'ERR-01-008',
  INSTANCE_TYPE_NOT_FOUND: 'ERR-02-001',
  RESOURCE_NOT_AVAILABLE: 'ERR-02-002',
  INSUFFICIENT_VCPU: 'ERR-02-003',
  INSUFFICIENT_MEMORY: 'ERR-02-004',
  INSUFFICIENT_SLOTS: 'ERR-02-005',
  GPU_ALLOCATION_ERROR: 'ERR-02-006',
  INSUFFICIENT_GPU: 'ERR-02-007',
  INVALID_REQUEST: 'ERR-02-008',
  INCOMPATIBLE_CONFIG: 'ERR-02-009',
  IMAGE_NOT_FOUND: 'ERR-02-010',
  KMS_NOT_FOUND: 'ERR-02-011',
  TEEPOD_NOT_ACCESSIBLE: 'ERR-02-012',
  OS_IMAGE_NOT_COMPATIBLE: 'ERR-02-013',
  NODE_CAPACITY_NOT_CONFIGURED: 'ERR-02-014',
  QUOTA_EXCEEDED: 'ERR-02-015',
  CVM_NOT_FOUND: 'ERR-03-001',
  MULTIPLE_CVMS_SAME_NAME: 'ERR-03-002',
  CVM_NOT_IN_WORKSPACE: 'ERR-03-003',
  CVM_ACCESS_DENIED: 'ERR-03-005',
  REPLICA_IMAGE_NOT_AVAILABLE: 'ERR-03-006',
  CVM_APP_ID_CONFLICT: 'ERR-03-007',
  INSUFFICIENT_BALANCE: 'ERR-04-001',
  MAX_CVM_LIMIT: 'ERR-04-002',
  RESOURCE_LIMIT_EXCEEDED: 'ERR-04-003',
  TOKEN_LIMIT_EXCEEDED: 'ERR-05-001',
  TOKEN_RATE_LIMIT: 'ERR-05-002',
} as const;

/** Client-side code for a 409 "another operation in progress" (the API sends no error_code for it). */
export const PHALA_BUSY_CODE = 'CVM_BUSY';

/** The on-chain statuses and the ERR codes they pair with (the pairing is probable, not documented: notes §5). */
export const PHALA_ONCHAIN_STATUS_CODES: Record<number, string> = {
  465: PhalaErrorCodes.HASH_REGISTRATION_REQUIRED,
  466: PhalaErrorCodes.HASH_INVALID_OR_EXPIRED,
  467: PhalaErrorCodes.TX_VERIFICATION_FAILED,
  468: PhalaErrorCodes.HASH_NOT_ALLOWED,
};

const STATUS_MESSAGES: Record<number, string> = {
  465: 'on-chain registration of the compose hash / device is required',
  466: 'compose hash expired or unknown: restart from provision',
  467: 'transaction verification failed',
  468: 'compose hash not found on-chain',
};

/** Kind and retryability of a structured error code; undefined leaves the status default. */
function classifyCode(code: string): { kind: ProviderErrorKind; retryable?: boolean } | undefined {
  switch (code) {
    case PhalaErrorCodes.CVM_APP_ID_CONFLICT:
    case PhalaErrorCodes.MULTIPLE_CVMS_SAME_NAME:
    case PhalaErrorCodes.DUPLICATE_CVM_NAME:
      return { kind: 'conflict', retryable: false };
    case PhalaErrorCodes.CVM_NOT_FOUND:
    case PhalaErrorCodes.CVM_NOT_IN_WORKSPACE:
      return { kind: 'not_found' };
    case PhalaErrorCodes.CVM_ACCESS_DENIED:
      return { kind: 'auth' };
    case PhalaErrorCodes.HASH_REGISTRATION_REQUIRED:
    case PhalaErrorCodes.HASH_INVALID_OR_EXPIRED:
      return { kind: 'invalid_request', retryable: false };
    case PhalaErrorCodes.TX_VERIFICATION_FAILED:
    case PhalaErrorCodes.HASH_NOT_ALLOWED:
      return { kind: 'conflict', retryable: true }; // chain state may not be visible yet: re-check, then retry
    case PhalaErrorCodes.TOKEN_RATE_LIMIT:
      return { kind: 'rate_limited' };
    case PhalaErrorCodes.RESOURCE_NOT_AVAILABLE:
    case PhalaErrorCodes.INSUFFICIENT_VCPU:
    case PhalaErrorCodes.INSUFFICIENT_MEMORY:
    case PhalaErrorCodes.INSUFFICIENT_SLOTS:
    case PhalaErrorCodes.GPU_ALLOCATION_ERROR:
    case PhalaErrorCodes.INSUFFICIENT_GPU:
    case PhalaErrorCodes.TEEPOD_NOT_ACCESSIBLE:
    case PhalaErrorCodes.NODE_CAPACITY_NOT_CONFIGURED:
    case PhalaErrorCodes.QUOTA_EXCEEDED:
      return { kind: 'capacity', retryable: true };
    case PhalaErrorCodes.INSUFFICIENT_BALANCE:
    case PhalaErrorCodes.MAX_CVM_LIMIT:
    case PhalaErrorCodes.RESOURCE_LIMIT_EXCEEDED:
    case PhalaErrorCodes.TOKEN_LIMIT_EXCEEDED:
      return { kind: 'capacity', retryable: false }; // needs a person (top up, raise the limit)
    default:
      if (/^ERR-0[12]-/.test(code)) return { kind: 'invalid_request', retryable: false }; // bad node/image/kms/compose
      return undefined;
  }
}

const BUSY = /in progress|busy|another operation|locked|try again later/i;

function validationMessage(issues: Array<{ loc?: Array<string | number>; msg: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.loc && i.loc.length ? i.loc.join('.') : '(body)'}: ${i.msg}`)
    .join('; ');
}

/** Reads a Phala error body; `input` echoes of 422 issues are dropped so request data never reaches errors. */
export function parsePhalaErrorBody(status: number, body: unknown, text: string): ErrorBodyInfo {
  const info: ErrorBodyInfo = {};
  const parsed = ApiErrorSchema.safeParse(body);
  if (parsed.success) {
    const { detail } = parsed.data;
    if (typeof detail === 'string') info.message = detail;
    else if (Array.isArray(detail)) {
      const issues = detail.map((d) => ValidationIssueSchema.parse(d));
      info.message = `validation failed: ${validationMessage(issues)}`;
      info.details = { validation: issues.map((i) => ({ loc: i.loc ?? [], msg: i.msg, ...(i.type ? { type: i.type } : {}) })) };
      info.kind = 'invalid_request';
    } else {
      const s = StructuredErrorSchema.safeParse(detail);
      if (s.success) {
        info.code = s.data.error_code;
        info.message = s.data.message ?? s.data.error_code;
        info.details = {
          ...(s.data.details ? { details: s.data.details } : {}),
          ...(s.data.suggestions ? { suggestions: s.data.suggestions } : {}),
          ...(s.data.links ? { links: s.data.links } : {}),
        };
      } else info.message = JSON.stringify(detail).slice(0, 300);
    }
    if (!info.code && parsed.data.code) info.code = parsed.data.code;
  } else if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown };
    if (typeof b.message === 'string') info.message = b.message;
    else if (typeof b.error === 'string') info.message = b.error;
  } else if (text.trim() && !text.trim().startsWith('<')) info.message = text.trim().slice(0, 300);

  if (status in PHALA_ONCHAIN_STATUS_CODES) {
    info.code ??= PHALA_ONCHAIN_STATUS_CODES[status];
    info.message ??= STATUS_MESSAGES[status];
    const c = classifyCode(PHALA_ONCHAIN_STATUS_CODES[status]!)!;
    info.kind = c.kind;
    info.retryable = c.retryable;
    return info;
  }
  const byCode = info.code ? classifyCode(info.code) : undefined;
  if (byCode) {
    info.kind = byCode.kind;
    if (byCode.retryable !== undefined) info.retryable = byCode.retryable;
  } else if (status === 409) {
    info.kind = 'conflict';
    if (info.message && BUSY.test(info.message)) {
      info.code ??= PHALA_BUSY_CODE;
      info.retryable = true;
    } else info.retryable = false;
  }
  return info;
}
