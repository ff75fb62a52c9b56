// `teardownCvm`: a durable timer until the teardown time, movable by `extendTeardown` and cancellable by
// `cancelTeardown`; then graceful stop (bounded) → delete → confirm gone. Tearing down what is already
// gone succeeds. A live CVM is deleted only when cvmflow can prove it created it (its lifecycle recorded the id,
// or the provider's ownership mark is on it); otherwise the teardown fails with CvmNotRecorded and touches nothing.
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Provider } from '../contract/common';
import {
  cancelTeardownSignal,
  CancelTeardownSchema,
  extendTeardownUpdate,
  ExtendTeardownSchema,
  leaseProblem,
  teardownAtQuery,
  TeardownCvmInputSchema,
  type TeardownCvmInput,
  type TeardownCvmParams,
  type TeardownCvmResult,
} from '../contract/teardown';
import { describeIssues } from '../contract/common';
import type { CvmObservation } from '../activities/lifecycle';
import { describeFailure, parseWorkflowInput } from './support/input';
import { hasPatch, heartbeatFor, leanHistory, providerActivities, readActivities, waitingActivities, type LifecycleActivities } from './support/options';
import { Progress } from './support/progress';
import { recordedCvmIds, requireOwned } from './support/fleet';
import { providerPort } from './support/provider-port';
import { lifecycleWorkflowId } from '../contract/workflow-ids';
import { FailureTypes } from '../contract/failures';

/** A live CVM is deleted only with proof that cvmflow created it (runs from before this step delete without asking). */
export const PATCH_TEARDOWN_RECORDED_ONLY = 'teardown-recorded-only';

export async function teardownCvm(raw: TeardownCvmInput): Promise<TeardownCvmResult> {
  const input = parseWorkflowInput('teardownCvm', TeardownCvmInputSchema, raw);
  const lean = leanHistory();
  const progress = new Progress(input.provider, { cvmId: input.cvmId, cvmName: input.cvmName }, lean);
  let teardownAt = Math.max(Date.now(), input.teardownAt ? Date.parse(input.teardownAt) : Date.now());
  let cancelReason: string | undefined;
  let waiting = true;
  const iso = () => new Date(teardownAt).toISOString();

  setHandler(teardownAtQuery, iso);
  setHandler(
    extendTeardownUpdate,
    (arg) => {
      teardownAt = Date.parse(arg.teardownAt);
      progress.update({ teardownAt: iso() });
      return { teardownAt: iso() };
    },
    {
      validator: (arg) => {
        const p = ExtendTeardownSchema.safeParse(arg);
        if (!p.success) throw new Error(describeIssues(p.error));
        if (!waiting) throw new Error('the teardown has already started; it can no longer be moved');
        if (Date.parse(p.data.teardownAt) <= Date.now()) throw new Error(`teardownAt ${p.data.teardownAt} is not in the future`);
        const late = leaseProblem(p.data.teardownAt, input.maxLease, Date.now());
        if (late) throw new Error(`teardownAt ${late}`);
      },
      description: 'Moves the teardown to a new time (ISO 8601, in the future).',
    },
  );
  setHandler(cancelTeardownSignal, (arg) => {
    const p = CancelTeardownSchema.safeParse(arg ?? {});
    if (!p.success) return progress.rejectMessage('cancelTeardown', describeIssues(p.error));
    if (waiting) cancelReason = p.data.reason;
  });

  progress.step('scheduled', { teardownAt: iso() });
  for (;;) {
    if (cancelReason !== undefined) return finish('cancelled');
    const remaining = teardownAt - Date.now();
    if (remaining <= 0) break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      progress.writeNow();
      await continueAsNew<typeof teardownCvm>({ ...raw, teardownAt: iso() });
    }
    const before = teardownAt;
    await condition(() => cancelReason !== undefined || teardownAt !== before, remaining, { summary: `teardown at ${iso()}` });
  }
  waiting = false;
  try {
    return await tearDown();
  } catch (err) {
    progress.writeNow(); // a failure ends the run in this activation: what it found is written first
    throw err;
  }

  async function tearDown(): Promise<TeardownCvmResult> {
    const acts = providerActivities(input.providerCallTimeout);
    const reads = readActivities(progress, input.providerCallTimeout);
    const target = await locate(reads, input, lean);
    if (!target) return finish('already-gone');
    progress.update({ cvmId: target.cvmId, providerStatus: target.status });
    if (target.class === 'gone') return finish('already-gone');
    if (hasPatch(lean, PATCH_TEARDOWN_RECORDED_ONLY)) await proveOwned(reads, target, input.cvmName);

    await gracefulStop(acts, input, target, progress);
    progress.step('delete');
    await deleteCvm(acts, input.provider, target.cvmId, input.pollInterval);
    progress.step('confirm-gone');
    const gone = await waitingActivities(input.goneDeadline, heartbeatFor(input.pollInterval)).awaitCvmState({ provider: input.provider, cvmId: target.cvmId, target: 'gone', pollIntervalMs: input.pollInterval });
    progress.update({ providerStatus: gone.status });
    return finish('deleted');
  }

  function finish(outcome: TeardownCvmResult['outcome']): TeardownCvmResult {
    progress.finish(outcome);
    return {
      provider: input.provider,
      cvmId: progress.current.cvmId ?? null,
      cvmName: input.cvmName ?? null,
      outcome,
      teardownAt: iso(),
      finishedAt: new Date().toISOString(),
      cancelReason: cancelReason ?? null,
    };
  }
}

/**
 * Finds the CVM by the id given or by its name: where names are unique (Phala, CUDO) the provider resolves it;
 * where they are shared (Prism), the id its lifecycle recorded (a name alone never picks a CVM). Undefined when
 * nothing by that name exists (already gone).
 */
async function locate(acts: LifecycleActivities, input: TeardownCvmParams, lean: boolean): Promise<CvmObservation | undefined> {
  if (input.cvmId) return acts.observeCvm({ provider: input.provider, cvmId: input.cvmId });
  const port = providerPort(input.provider);
  if (!port.uniqueNames && hasPatch(lean, 'prism-teardown-by-recorded-id')) {
    const [recorded] = await recordedCvmIds(acts, lifecycleWorkflowId(input.provider, input.cvmName!));
    if (!recorded) {
      throw ApplicationFailure.create({
        message: `no cvmflow lifecycle recorded a CVM id for Prism name ${input.cvmName}: nothing is deleted by name alone; give cvmId to tear down that exact CVM`,
        type: FailureTypes.CvmNotRecorded,
        nonRetryable: true,
      });
    }
    return acts.observeCvm({ provider: input.provider, cvmId: recorded });
  }
  return port.findByName(acts, input.cvmName!);
}

/**
 * Nothing is deleted that cvmflow cannot prove it created: a lifecycle recorded this CVM's id, or the provider's
 * ownership mark is on it (missingOwnershipProof). Without the proof the teardown fails before any stop or delete.
 */
function proveOwned(acts: LifecycleActivities, target: CvmObservation, name: string | undefined): Promise<void> {
  return requireOwned(acts, target, 'Nothing was stopped or deleted', 'if it is really meant to go, delete it at the provider', name);
}

/** Shutdown/stop with a bounded wait; a CVM that does not stop in time is deleted anyway. */
async function gracefulStop(acts: LifecycleActivities, input: TeardownCvmParams, target: CvmObservation, progress: Progress): Promise<void> {
  const port = providerPort(input.provider);
  const stop = port.profile.gracefulStop && port.actions[port.profile.gracefulStop];
  if (!stop || target.class !== 'running' || input.gracefulTimeout === 0) return;
  progress.step('graceful-stop');
  try {
    await stop(acts, { cvmId: target.cvmId });
    await waitingActivities(input.gracefulTimeout, heartbeatFor(input.pollInterval)).awaitCvmState({ provider: input.provider, cvmId: target.cvmId, target: 'stopped', pollIntervalMs: input.pollInterval });
  } catch (err) {
    progress.update({ lastError: `graceful stop did not finish: ${describeFailure(err).message}; deleting anyway` });
  }
}

async function deleteCvm(acts: LifecycleActivities, provider: Provider, cvmId: string, pollIntervalMs: number): Promise<void> {
  try {
    await providerPort(provider).delete(acts, cvmId, pollIntervalMs);
  } catch (err) {
    const f = describeFailure(err);
    throw ApplicationFailure.create({ message: `deleting ${provider} CVM ${cvmId} failed: ${f.message}`, type: FailureTypes.TeardownFailed, nonRetryable: true, cause: err as Error });
  }
}
