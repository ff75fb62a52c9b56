// `createAttestedPrismCvm`: look before create (a live CVM of that name that this lifecycle did not record is
// someone else's: stop with `CvmNameTaken`) → create (returns no id) → Online with evidence → evidence and
// attestation policy → verify, including the platform. An unverified CVM is never reported ready: a failed
// verification deletes it (by the id this workflow recorded, never by name) and fails with every failed check.
import { ApplicationFailure, sleep, workflowInfo } from '@temporalio/workflow';
import { CreateAttestedPrismCvmInputSchema, withPlatformCheck, type CreateAttestedPrismCvmInput, type CreateAttestedPrismCvmParams, type CreateAttestedPrismCvmResult } from '../contract/prism';
import { Compensations } from './support/compensation';
import { failLifecycle } from './support/failure';
import { parseWorkflowInput } from './support/input';
import { creating, hasPatch, heartbeatFor, leanHistory, providerActivities, readActivities, summarized, summarizedWait, type LifecycleActivities } from './support/options';

import { Progress } from './support/progress';
import { livePrismCvmsNamed } from './support/prism-names';
import { recordedCvmIds } from './support/fleet';
import { scheduleTeardown } from './support/teardown-child';
import { FailureTypes } from '../contract/failures';

export async function createAttestedPrismCvm(raw: CreateAttestedPrismCvmInput): Promise<CreateAttestedPrismCvmResult> {
  const input = parseWorkflowInput('createAttestedPrismCvm', CreateAttestedPrismCvmInputSchema, raw);
  const lean = leanHistory();
  const progress = new Progress('prism', { cvmName: input.name, ccPlatform: input.ccPlatform }, lean);
  const compensations = new Compensations();
  const acts = providerActivities(input.providerCallTimeout);
  const reads = readActivities(progress, input.providerCallTimeout);
  try {
    progress.step('find-or-create');
    const cvmId = hasPatch(lean, PATCH_OWNERSHIP) ? await findOwnOrCreate(acts, reads, input, lean) : await legacyFindOrCreate(acts, input);
    progress.update({ cvmId });
    compensations.add(`deleted Prism CVM ${cvmId}`, async () => {
      await acts.prismDeleteCvm({ id: cvmId });
    });

    progress.step('wait-online');
    const online = await acts.awaitCvmState.executeWithOptions(summarizedWait(input.onlineDeadline, heartbeatFor(input.pollInterval), `wait until ${cvmId} is online with evidence`), [
      { provider: 'prism', cvmId, target: 'evidence-ready', pollIntervalMs: input.pollInterval },
    ]);
    progress.update({ providerStatus: online.status });

    progress.step('fetch-evidence');
    const { cvm } = await reads.prismGetCvm({ id: cvmId });
    const policy = input.policy ? { policyJson: JSON.stringify(input.policy) } : { policyBase64: (await reads.prismGetAttestationPolicy({ id: cvmId })).attestation_policy };

    progress.step('verify');
    const checked = await reads.verifyCvmAttestation.executeWithOptions({ summary: `verify ${input.ccPlatform} evidence against ${input.policy ? 'the pinned' : "Prism's"} policy` }, [
      { evidenceBase64: String(cvm.attestation ?? ''), ...policy, at: new Date().toISOString() },
    ]);
    const verdict = withPlatformCheck(checked, input.ccPlatform);
    if (!verdict.verified) {
      const reasons = verdict.checks
        .filter((c) => c.result === 'fail')
        .map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`)
        .join('; ');
      throw ApplicationFailure.create({ message: `attestation of ${input.name} failed (${verdict.failures.length} check(s)): ${reasons}`, type: FailureTypes.AttestationFailed, nonRetryable: true, details: [verdict] });
    }
    progress.update({ providerStatus: 'verified' });

    let teardown: CreateAttestedPrismCvmResult['teardown'] = null;
    if (input.ttl) {
      progress.step('schedule-teardown');
      teardown = await scheduleTeardown(lean, { provider: 'prism', key: input.name, cvmId, cvmName: input.name, ttlMs: input.ttl, pollIntervalMs: input.pollInterval, providerCallTimeoutMs: input.providerCallTimeout });
      progress.update({ teardownAt: teardown.teardownAt });
    }
    progress.finish('done');
    return {
      provider: 'prism',
      name: input.name,
      cvmId,
      status: online.status,
      ccPlatform: input.ccPlatform,
      agentUrl: typeof online.facts.agentUrl === 'string' ? online.facts.agentUrl : null,
      verdict: verdict as CreateAttestedPrismCvmResult['verdict'],
      teardown,
    };
  } catch (err) {
    throw await failLifecycle(err, input.keepOnFailure, compensations, progress);
  }
}

const PATCH_OWNERSHIP = 'prism-ownership-by-recorded-id';

/**
 * Look before create. A live CVM of this name is adopted only when an earlier run of this lifecycle recorded its
 * id; any other is someone else's and the workflow stops before creating anything. A retried create adopts only a
 * CVM that appeared after this look.
 */
async function findOwnOrCreate(acts: LifecycleActivities, reads: LifecycleActivities, input: CreateAttestedPrismCvmParams, lean: boolean): Promise<string> {
  const seen = (await livePrismCvmsNamed(reads, input.name)).map((c) => c.id);
  if (seen.length > 0) {
    const recorded = new Set(await recordedCvmIds(reads, workflowInfo().workflowId));
    const strangers = seen.filter((id) => !recorded.has(id));
    if (strangers.length > 0) {
      throw ApplicationFailure.create({
        message: `a live Prism CVM named ${input.name} exists that this lifecycle did not create (id ${strangers.join(', ')}); cvmflow neither adopts nor deletes it: choose another name, or delete that CVM yourself`,
        type: FailureTypes.CvmNameTaken,
        nonRetryable: true,
      });
    }
    return seen[0]!;
  }
  const created = await acts.prismCreateCvm.executeWithOptions(creating(lean, input.providerCallTimeout, `create ${input.name} (${input.ccPlatform}, ${input.vcpu} vCPU)`), [
    { name: input.name, provider: input.backend, vcpu: input.vcpu, ccPlatform: input.ccPlatform, agentLogLevel: input.agentLogLevel, reuseExisting: true, excludeIds: seen },
  ]);
  return created.id ?? (await findCreated(reads, input, new Set(seen)));
}

/** Runs started before look-before-create replay this: find or create by name. */
async function legacyFindOrCreate(acts: LifecycleActivities, input: CreateAttestedPrismCvmParams): Promise<string> {
  const created = await acts.prismCreateCvm.executeWithOptions(summarized(input.providerCallTimeout, `find or create ${input.name} (${input.ccPlatform}, ${input.vcpu} vCPU)`), [
    { name: input.name, provider: input.backend, vcpu: input.vcpu, ccPlatform: input.ccPlatform, agentLogLevel: input.agentLogLevel, reuseExisting: true },
  ]);
  return created.id ?? (await findCreated(acts, input, new Set()));
}

/** Prism's create answers without an id: the new CVM appears in the list by name shortly after. */
async function findCreated(acts: LifecycleActivities, input: CreateAttestedPrismCvmParams, before: Set<string>): Promise<string> {
  const deadline = Date.now() + Math.min(input.onlineDeadline, 300_000);
  for (let delay = input.pollInterval; ; delay = Math.min(delay * 2, 30_000)) {
    const fresh = (await livePrismCvmsNamed(acts, input.name)).filter((c) => !before.has(c.id));
    if (fresh.length === 1) return fresh[0]!.id;
    if (fresh.length > 1) {
      // Someone else created the same name at the same time: which one is ours cannot be told, so none is adopted
      // (or deleted by a compensation).
      throw ApplicationFailure.create({
        message: `more than one Prism CVM named ${input.name} appeared after this workflow's create (ids ${fresh.map((c) => c.id).join(', ')}); cvmflow cannot tell which is its own and touches none: delete the one that is yours by hand`,
        type: FailureTypes.CvmNameTaken,
        nonRetryable: true,
      });
    }
    if (Date.now() + delay > deadline) break;
    await sleep(delay);
  }
  throw ApplicationFailure.create({ message: `Prism accepted the create but no CVM named ${input.name} appeared`, type: FailureTypes.CvmNotFoundAfterCreate, nonRetryable: true });
}
