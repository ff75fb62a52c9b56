// `operateCvm`: one audited day-2 action (start, stop, shutdown, restart, reboot, resize, replicate),
// waiting for the state it should end in. Who asked and why is kept in the workflow's memo and result.
import { ApplicationFailure, isCancellation, upsertMemo } from '@temporalio/workflow';
import { OperateCvmInputSchema, type OperateCvmInput, type OperateCvmParams, type OperateCvmResult } from '../contract/operate';
import { describeFailure, parseWorkflowInput } from './support/input';
import { hasPatch, heartbeatFor, leanHistory, providerActivities, readActivities, waitingActivities, type LifecycleActivities } from './support/options';
import { Progress } from './support/progress';
import { requireOwned } from './support/fleet';
import { providerPort, type Requested } from './support/provider-port';
import { FailureTypes } from '../contract/failures';
import type { CvmObservation } from '../contract/rules/cvm';

/** A replicate records the replica's id as the run's CvmId, so a teardown can prove cvmflow created it. */
export const PATCH_OPERATE_RECORDS_REPLICA = 'operate-records-replica';
/** A day-2 action reaches only a CVM cvmflow can prove it created, as a teardown does (after release 0.3.0). */
export const PATCH_OPERATE_OWNED_ONLY = 'operate-owned-only';

export async function operateCvm(raw: OperateCvmInput): Promise<OperateCvmResult> {
  const input = parseWorkflowInput('operateCvm', OperateCvmInputSchema, raw);
  const startedAt = new Date().toISOString();
  const lean = leanHistory();
  upsertMemo({ action: input.action, requestedBy: input.requestedBy, ...(input.reason ? { reason: input.reason } : {}) });
  const progress = new Progress(input.provider, { cvmId: input.cvmId }, lean);

  let final: Awaited<ReturnType<LifecycleActivities['awaitCvmState']>>;
  let waitOn: string;
  try {
    const acts = providerActivities(input.providerCallTimeout);
    const observed = hasPatch(lean, PATCH_OPERATE_OWNED_ONLY) ? await proveOwned(readActivities(progress, input.providerCallTimeout), input, progress) : undefined;
    progress.step(`request-${input.action}`);
    const requested = await request(acts, { ...input, observed });
    waitOn = requested.waitOn;
    progress.step(`wait-${requested.target}`, { cvmId: input.cvmId });
    final = await waitingActivities(input.waitDeadline, heartbeatFor(input.pollInterval)).awaitCvmState({ provider: input.provider, cvmId: waitOn, target: requested.target, pollIntervalMs: input.pollInterval });
  } catch (err) {
    throw failed(input, err, progress);
  }
  // A replica is a CVM cvmflow created: its id becomes this run's CvmId, the record that lets a teardown delete it.
  const replica = waitOn !== input.cvmId && hasPatch(lean, PATCH_OPERATE_RECORDS_REPLICA) ? { cvmId: waitOn } : {};
  progress.finish('done', { providerStatus: final.status, ...replica });
  return {
    provider: input.provider,
    cvmId: input.cvmId,
    action: input.action,
    finalStatus: final.status,
    replicaId: waitOn !== input.cvmId ? waitOn : null,
    requestedBy: input.requestedBy,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/** The failure's top line says what failed, on which CVM, in the provider's words with the endpoint (an activity
 * failure alone reads "Activity task failed", with the useful text one cause down). */
function failed(input: OperateCvmParams, err: unknown, progress: Progress): Error {
  if (isCancellation(err)) return err as Error;
  const f = describeFailure(err);
  progress.update({ lastError: f.message });
  progress.writeNow();
  if (err instanceof ApplicationFailure) return err;
  return ApplicationFailure.create({ message: `${input.action} of ${input.provider} CVM ${input.cvmId} failed: ${f.message}`, type: f.type ?? FailureTypes.LifecycleFailed, nonRetryable: true, details: f.details, cause: err as Error });
}

/**
 * A stop, restart or resize of someone else's CVM is as much a guess as deleting it: the CVM must be one cvmflow can
 * prove it created (requireOwned). A CVM that is not there is left to the request, which fails in the provider's words.
 */
async function proveOwned(reads: LifecycleActivities, input: OperateCvmParams, progress: Progress): Promise<CvmObservation | undefined> {
  progress.step('prove-owned');
  const target = await reads.observeCvm({ provider: input.provider, cvmId: input.cvmId });
  if (target.class === 'gone') return undefined;
  await requireOwned(reads, target, `Nothing was sent to ${input.provider} (${input.action})`, 'act on it at the provider if it is really meant to');
  return target;
}

/** Sends the action through the provider's port and says which CVM to wait on for which state. */
async function request(acts: LifecycleActivities, input: OperateCvmParams & { observed?: CvmObservation }): Promise<Requested> {
  const act = providerPort(input.provider).actions[input.action];
  // The input schema admits only supported provider/action pairs; this guards a future gap.
  if (!act) throw ApplicationFailure.create({ message: `unsupported ${input.provider} action ${input.action}`, type: FailureTypes.InvalidWorkflowInput, nonRetryable: true });
  return act(acts, input);
}
