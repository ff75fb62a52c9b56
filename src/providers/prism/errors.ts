// Prism error bodies. Prism runs on Ultraviolet's SuperMQ-style Go services (inferred: its backend is not public), whose
// error encoder answers `{"error": "<cause>", "message": "<what failed>"}` (newer builds `{"code", "message", "details"}`)
// with 400/401/403/404/409/415/422/500, and the Go router answers a plain-text `404 page not found` for unknown routes.
import type { ErrorBodyInfo } from '../http/core';

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function parsePrismErrorBody(status: number, body: unknown, raw: string): ErrorBodyInfo {
  const info: ErrorBodyInfo = {};
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const message = text(b.message);
    const cause = text(b.error);
    info.message = message && cause && cause !== message ? `${message}: ${cause}` : (message ?? cause);
    const code = text(b.code) ?? (typeof b.code === 'number' ? String(b.code) : undefined);
    if (code) info.code = code;
    if (b.details && typeof b.details === 'object') info.details = b.details;
  } else if (typeof body === 'string') {
    info.message = text(body);
  } else {
    info.message = text(raw)?.slice(0, 200);
  }

  const m = (info.message ?? '').toLowerCase();
  // SuperMQ answers 422 for "try again" (ErrTryAgain) and for entity create/update failures; only the first is transient.
  if (/try again/.test(m)) {
    info.kind = 'server';
    info.retryable = true;
  } else if (/quota|insufficient|capacity|no (available )?(resources|hosts?|capacity)|out of stock/.test(m) && status !== 401 && status !== 403) {
    info.kind = 'capacity';
  } else if (status === 409 || (status < 500 && /already exists/.test(m))) {
    info.kind = 'conflict';
  } else if (status === 415) {
    info.kind = 'invalid_request';
  }
  return info;
}
