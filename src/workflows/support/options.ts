// Activity option presets named by intent, so lifecycles do not repeat numbers at every call.
import { ActivityCancellationType, patched, proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Progress } from './progress';

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

/**
 * Patch id (after release 0.3.0): a workflow's reads (looks before create, lists, fetching and checking evidence)
 * run as local activities, and its search attributes are written once per workflow activation. A read costs one
 * marker event instead of six (three for the activity, three for the workflow task it wakes); what creates, deletes
 * or waits stays an activity of its own. Checked once, first thing, by every workflow that has a `Progress`.
 */
export const PATCH_LEAN_HISTORY = 'lean-history';

export function leanHistory(): boolean {
  return patched(PATCH_LEAN_HISTORY);
}

/**
 * Whether a run takes the path of a patch older than lean-history. A lean run always does (the code that started it
 * had every earlier patch), so it does not ask: each patch asked for costs two events (its marker and the SDK's
 * TemporalChangeVersion search attribute). Runs from before lean-history ask, as they always did.
 */
export function hasPatch(lean: boolean, patchId: string): boolean {
  return lean || patched(patchId);
}

/**
 * A read as a local activity: the same attempt timeout and retry budget as a provider call. Retries whose backoff
 * passes 10 s wait on a workflow timer (the SDK's localRetryThreshold), so an outage does not keep a workflow task
 * open. Only for calls that may run again without harm: a worker lost before the task completes re-runs them.
 */
export function localCallOptions(attemptTimeoutMs = 90_000): LocalActivityOptions {
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = providerCallOptions(attemptTimeoutMs);
  return { startToCloseTimeout, scheduleToCloseTimeout, retry, localRetryThreshold: '10s' };
}

/** The proxy a workflow's reads go through: local activities in a lean run, activities in runs from before it. */
export function readActivities(progress: Progress, attemptTimeoutMs?: number): LifecycleActivities {
  return progress.lean ? progress.countLocal(proxyLocalActivities<Activities>(localCallOptions(attemptTimeoutMs))) : providerActivities(attemptTimeoutMs);
}

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

/**
 * Options for the call that creates a CVM, with its UI line. In a lean run a cancelled lifecycle waits for this call
 * to end instead of moving on at once: a create already sent runs to its end (it does not heartbeat, so it cannot
 * be stopped), and only when the workflow has its answer can it record the CVM and compensate it. (A cancel that
 * arrives while a workflow task runs local reads reaches the workflow after that task, when the create it scheduled
 * may already be on its way.)
 */
export function creating(lean: boolean, attemptTimeoutMs: number, summary: string): ActivityOptions {
  return lean ? { ...summarized(attemptTimeoutMs, summary), cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : summarized(attemptTimeoutMs, summary);
}

/** Options for a heartbeating wait with the line the Temporal UI shows for it. */
export function summarizedWait(deadlineMs: number, heartbeatMs: number, summary: string): ActivityOptions {
  return { ...waitOptions(deadlineMs, heartbeatMs), summary };
}
