// Calls any registered activity by name with the given retry policy: lets tests watch Temporal (not
// in-process loops) retry provider calls, honour Retry-After and stop on non-retryable failures.
import type { Duration } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, proxyActivities, type RetryPolicy } from '@temporalio/workflow';

export interface CallActivityOutcome {
  ok: boolean;
  result?: unknown;
  failureType?: string;
  message?: string;
  nonRetryable?: boolean;
}

export async function callActivity(name: string, args: unknown[], retry: RetryPolicy, startToCloseTimeout: Duration = '10s'): Promise<CallActivityOutcome> {
  const acts = proxyActivities<Record<string, (...a: unknown[]) => Promise<unknown>>>({ startToCloseTimeout, retry });
  try {
    return { ok: true, result: await acts[name]!(...args) };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return { ok: false, failureType: err.cause.type ?? undefined, message: err.cause.message, nonRetryable: err.cause.nonRetryable ?? undefined };
    }
    throw err;
  }
}
