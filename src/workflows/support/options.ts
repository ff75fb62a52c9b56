// Activity option presets named by intent, so lifecycles do not repeat numbers at every call.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities';

/** A single provider call: Temporal retries transient failures with backoff for up to 15 minutes. */
export function providerCallOptions(attemptTimeoutMs = 90_000): ActivityOptions {
  return {
    startToCloseTimeout: attemptTimeoutMs,
    scheduleToCloseTimeout: Math.max(15 * 60_000, attemptTimeoutMs * 3),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  };
}

/** A long heartbeating wait: the deadline bounds all attempts; a dead worker is noticed by the heartbeat timeout. */
export function waitOptions(deadlineMs: number, heartbeatMs: number): ActivityOptions {
  return {
    scheduleToCloseTimeout: deadlineMs,
    startToCloseTimeout: deadlineMs,
    heartbeatTimeout: heartbeatMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  };
}

/** Heartbeat timeout for a poll every `pollMs`: three missed polls, at least 2 s. */
export function heartbeatFor(pollMs: number): number {
  return Math.max(2_000, pollMs * 3 + 1_000);
}

export type LifecycleActivities = ReturnType<typeof proxyActivities<Activities>>;

/** Provider calls with the lifecycle's attempt timeout (an input, so tests notice a dead worker fast). */
export function providerActivities(attemptTimeoutMs?: number): LifecycleActivities {
  return proxyActivities<Activities>(providerCallOptions(attemptTimeoutMs));
}

export function waitingActivities(deadlineMs: number, heartbeatMs: number) {
  return proxyActivities<Activities>(waitOptions(deadlineMs, heartbeatMs));
}

/** Options for one provider call with the line the Temporal UI shows for it. */
export function summarized(attemptTimeoutMs: number, summary: string): ActivityOptions {
  return { ...providerCallOptions(attemptTimeoutMs), summary };
}

/** Options for a heartbeating wait with the line the Temporal UI shows for it. */
export function summarizedWait(deadlineMs: number, heartbeatMs: number, summary: string): ActivityOptions {
  return { ...waitOptions(deadlineMs, heartbeatMs), summary };
}
