// One error taxonomy for every provider call. Activities map `kind` to retryable/non-retryable Temporal failures.

export type ProviderErrorKind =
  | 'auth' // 401/403: the credentials are wrong; retrying cannot help
  | 'not_found' // 404/410
  | 'conflict' // 409 and provider-specific conflicts (e.g. an app id that already exists)
  | 'invalid_request' // 400/422 and request validation before sending
  | 'capacity' // the provider has no room (quota, no node, insufficient resources)
  | 'rate_limited' // 429
  | 'server' // 5xx
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout' // connect, headers or body timeout
  | 'bad_response' // a 2xx whose body does not match the contract, or unparseable JSON
  | 'cancelled'; // the caller (activity) cancelled the request

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  auth: false,
  not_found: false,
  conflict: false,
  invalid_request: false,
  capacity: true,
  rate_limited: true,
  server: true,
  network: true,
  timeout: true,
  bad_response: false,
  cancelled: false,
};

export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  provider: string;
  /** The endpoint in its documented form, e.g. `GET /cvms/{id}`. */
  endpoint: string;
  message: string;
  status?: number;
  /** The provider's own error code (`ERR-03-007`, gRPC code 6, ...). */
  code?: string;
  /** From Retry-After, when the provider sent one. */
  retryAfterMs?: number;
  /** Overrides the kind's default. */
  retryable?: boolean;
  /** Structured, secret-free details (validation issues, suggestions). */
  details?: unknown;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly endpoint: string;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(init: ProviderErrorInit) {
    const where = `${init.provider} ${init.endpoint}`;
    const status = init.status !== undefined ? ` (HTTP ${init.status}${init.code ? `, ${init.code}` : ''})` : init.code ? ` (${init.code})` : '';
    super(`${where}: ${init.message}${status}`, { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.provider = init.provider;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable ?? RETRYABLE[init.kind];
    this.details = init.details;
  }

  /** The Temporal failure type name for this error, e.g. `ProviderNotFound`. */
  get failureType(): string {
    return `Provider${this.kind
      .split('_')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('')}`;
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}

/** Default classification of an HTTP status; providers refine it from their error bodies. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 425) return 'timeout';
  if (status >= 500) return 'server';
  return 'invalid_request';
}
