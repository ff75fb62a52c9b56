// `createAttestedPrismCvm`: find-or-create by name (create returns no id) → Online with evidence →
// evidence and attestation policy → verify. An unverified CVM is never reported ready: a failed
// verification deletes it and fails with every failed check.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { CreateAttestedPrismCvmInputSchema, type CreateAttestedPrismCvmInput, type CreateAttestedPrismCvmParams, type CreateAttestedPrismCvmResult } from '../contract/prism';
import { Compensations } from './support/compensation';
import { failLifecycle } from './support/failure';
import { parseWorkflowInput } from './support/input';
import { heartbeatFor, providerActivities, summarized, summarizedWait, type LifecycleActivities } from './support/options';

import { Progress } from './support/progress';
import { scheduleTeardown } from './support/teardown-child';
import { FailureTypes } from '../contract/failures';

export async function createAttestedPrismCvm(raw: CreateAttestedPrismCvmInput): Promise<CreateAttestedPrismCvmResult> {
  const input = parseWorkflowInput('createAttestedPrismCvm', CreateAttestedPrismCvmInputSchema, raw);
  const progress = new Progress('prism', { cvmName: input.name, ccPlatform: input.ccPlatform });
  const compensations = new Compensations();
  const acts = providerActivities(input.providerCallTimeout);
  try {
    progress.step('find-or-create');
    const created = await acts.prismCreateCvm.executeWithOptions(summarized(input.providerCallTimeout, `find or create ${input.name} (${input.ccPlatform}, ${input.vcpu} vCPU)`), [
      { name: input.name, provider: input.backend, vcpu: input.vcpu, ccPlatform: input.ccPlatform, agentLogLevel: input.agentLogLevel, reuseExisting: true },
    ]);
    const cvmId = created.id ?? (await findByName(acts, input));
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
    const { cvm } = await acts.prismGetCvm({ id: cvmId });
    const policy = input.policy ? { policyJson: JSON.stringify(input.policy) } : { policyBase64: (await acts.prismGetAttestationPolicy({ id: cvmId })).attestation_policy };

    progress.step('verify');
    const verdict = await acts.verifyCvmAttestation.executeWithOptions(summarized(input.providerCallTimeout, `verify ${input.ccPlatform} evidence against ${input.policy ? 'the pinned' : "Prism's"} policy`), [
      { evidenceBase64: String(cvm.attestation ?? ''), ...policy, at: new Date().toISOString() },
    ]);
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
      teardown = await scheduleTeardown({ provider: 'prism', key: input.name, cvmId, cvmName: input.name, ttlMs: input.ttl, pollIntervalMs: input.pollInterval, providerCallTimeoutMs: input.providerCallTimeout });
      progress.update({ teardownAt: teardown.teardownAt });
    }
    progress.step('done');
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

/** Prism's create answers without an id: the new CVM appears in the list by name shortly after. */
async function findByName(acts: LifecycleActivities, input: CreateAttestedPrismCvmParams): Promise<string> {
  const deadline = Date.now() + Math.min(input.onlineDeadline, 300_000);
  for (let delay = input.pollInterval; ; delay = Math.min(delay * 2, 30_000)) {
    const list = await acts.prismListCvms({ name: input.name, limit: 100 });
    const live = list.items.filter((i) => i.cvm.name === input.name && i.lifecycle.class !== 'gone' && i.lifecycle.class !== 'failed');
    if (live.length > 0) return live[0]!.cvm.id;
    if (Date.now() + delay > deadline) break;
    await sleep(delay);
  }
  throw ApplicationFailure.create({ message: `Prism accepted the create but no CVM named ${input.name} appeared`, type: FailureTypes.CvmNotFoundAfterCreate, nonRetryable: true });
}
