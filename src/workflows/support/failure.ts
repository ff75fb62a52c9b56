// How a lifecycle fails: compensate what the provider created (unless asked to keep it), say so, and
// turn the error into a typed, non-retryable ApplicationFailure.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { Compensations } from './compensation';
import { describeFailure } from './input';
import type { Progress } from './progress';
import { FailureTypes } from '../../contract/failures';

/** Compensates (unless asked to keep the CVM) and turns any error into a typed, non-retryable failure. */
export async function failLifecycle(err: unknown, keepOnFailure: boolean, compensations: Compensations, progress: Progress): Promise<ApplicationFailure> {
  const f = describeFailure(err);
  progress.update({ lastError: f.message });
  let note = '';
  if (compensations.pending > 0) {
    if (keepOnFailure) note = ' The CVM was kept for debugging (keepOnFailure); delete it when done.';
    else {
      progress.step('compensate');
      note = ` ${(await compensations.unwind()).join('; ')}.`;
    }
  }
  progress.finish('failed');
  if (isCancellation(err)) return ApplicationFailure.create({ message: `cancelled.${note}`, type: FailureTypes.LifecycleCancelled, nonRetryable: true });
  return ApplicationFailure.create({ message: `${f.message}.${note}`, type: f.type ?? FailureTypes.LifecycleFailed, nonRetryable: true, details: f.details, cause: err as Error });
}
