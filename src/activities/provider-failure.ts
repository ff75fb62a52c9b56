// Turns provider errors into Temporal failures: non-retryable for caller mistakes (auth, not found,
// conflict, invalid request, contract breaks), retryable for transient ones, with Retry-After as nextRetryDelay.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { isProviderError, ProviderError } from '../providers/http/errors';
import { FailureTypes } from '../contract/failures';

/** Secret-free facts about a provider failure, carried as the failure's details (workflows read them). */
export interface ProviderFailureDetails {
  provider: string;
  endpoint: string;
  kind: ProviderError['kind'];
  status?: number;
  code?: string;
  retryAfterMs?: number;
  details?: unknown;
}

export function providerFailure(err: ProviderError): ApplicationFailure {
  const details: ProviderFailureDetails = {
    provider: err.provider,
    endpoint: err.endpoint,
    kind: err.kind,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.code !== undefined ? { code: err.code } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.details !== undefined ? { details: err.details } : {}),
  };
  return ApplicationFailure.create({
    message: err.message,
    type: err.failureType,
    nonRetryable: !err.retryable,
    details: [details],
    ...(err.retryable && err.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(err.retryAfterMs, 1) } : {}),
  });
}

/** A bad activity input is the caller's bug: fail at once, naming the fields. */
export function invalidInputFailure(activity: string, error: z.ZodError): ApplicationFailure {
  const fields = error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  return ApplicationFailure.create({ message: `${activity}: invalid input: ${fields}`, type: FailureTypes.InvalidActivityInput, nonRetryable: true });
}

/** Validates input, calls the provider with the activity's cancellation signal, and converts errors. */
export async function callProvider<I, O>(activity: string, schema: z.ZodType<I>, input: unknown, call: (input: I, signal: AbortSignal) => Promise<O>): Promise<O> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInputFailure(activity, parsed.error);
  try {
    return await call(parsed.data, activitySignal());
  } catch (err) {
    if (isProviderError(err)) throw providerFailure(err);
    throw err;
  }
}

/** The current activity's cancellation signal; a never-aborting one outside an activity (unit use). */
export function activitySignal(): AbortSignal {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return new AbortController().signal;
  }
}

/** Heartbeats if running inside an activity; a no-op elsewhere. */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}
