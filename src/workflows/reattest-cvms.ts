// `reattestCvms` (run by a Schedule): verifies the current evidence of every running Prism and Phala CVM again,
// at the run's time, and compares each verdict with the previous run's (else with creation, where a managed CVM
// was verified). Three verdicts: `verified`, `failed` (a check ran and said no) and `undetermined` (it could not
// run: provider or collateral errors, evidence missing). Only `failed` can lead to a teardown, and only
//   - of a CVM a cvmflow lifecycle created and whose provider id it recorded (never by name alone),
//   - when a second, independent fetch and verification `confirmAfter` later says `failed` again,
//   - with `teardownOnChange`, and within the run's blast-radius limit (beyond it the run stops and fails).
// `undetermined` is reported, counted, logged, and set as the run's CvmAttestation search attribute.
import { log, patched, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ReattestCvmsInputSchema, type AttestationResult, type ReattestCvmsInput, type ReattestCvmsParams, type ReattestCvmsResult, type ReattestedCvm } from '../contract/fleet';
import { CvmAttestation } from '../contract/search-attributes';
import type { Outcome } from './support/attestation';
import { ActionBudget } from './support/blast-radius';
import { FleetProgress, inventory, isManaged, lifecycleOf, loadRecords, notConfigured, type InventoryItem, type Records } from './support/fleet';
import { startFleetTeardown } from './support/fleet-teardown';
import { describeFailure, parseWorkflowInput } from './support/input';
import { providerActivities, type LifecycleActivities } from './support/options';
import { providerPort } from './support/provider-port';

/** Patch id: three verdicts, confirmation, blast radius and Phala (added after release 0.1.0). */
export const PATCH_REATTEST_THREE_VERDICTS = 'reattest-three-verdicts';

type AttestedProvider = ReattestCvmsParams['providers'][number];

interface Subject {
  provider: AttestedProvider;
  item: InventoryItem;
  managed: boolean;
  /** How to check it (again): a fresh fetch and verification each call. */
  check: () => Promise<Outcome>;
  entry: ReattestedCvm;
}

export async function reattestCvms(raw: ReattestCvmsInput = {}): Promise<ReattestCvmsResult> {
  const input = parseWorkflowInput('reattestCvms', ReattestCvmsInputSchema, raw);
  if (!patched(PATCH_REATTEST_THREE_VERDICTS)) return reattestCvmsRelease010(input);
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const checkedAt = new Date().toISOString();
  const result: ReattestCvmsResult = { checkedAt, skipped: null, providers: {}, cvms: [], changed: 0, verified: 0, failed: 0, undetermined: 0, tornDown: 0 };

  progress.step('load-records');
  const records = await loadRecords(acts);
  const previous = await acts.previousReattestation({ excludeWorkflowId: workflowInfo().workflowId });

  const subjects: Subject[] = [];
  for (const provider of input.providers) {
    progress.step(`list-${provider}`);
    const { evidence } = providerPort(provider);
    let items: InventoryItem[];
    try {
      items = (await inventory(acts, provider)).filter((i) => i.class === 'running' && evidence.ready(i));
    } catch (err) {
      const why = notConfigured(err);
      if (!why) throw err;
      result.providers![provider] = { listed: 0, skipped: why };
      continue;
    }
    result.providers![provider] = { listed: items.length, skipped: null };
    for (const item of items) subjects.push(await subjectOf(acts, input, records, provider, item, previous[`${provider}/${item.cvmId}`]));
  }
  // Results of release 0.1.0 (Prism only) said here why Prism was skipped; `providers` says it for each provider.
  result.skipped = result.providers!.prism?.skipped ?? null;

  for (const s of subjects) {
    progress.step(`verify-${s.provider}-${s.item.key}`);
    record(s.entry, await s.check());
  }

  // A `failed` managed CVM is checked again, independently, before anything is destroyed.
  const budget = new ActionBudget('reattestCvms', input.blastRadius, subjects.filter((s) => s.managed).length);
  const suspects = subjects.filter((s) => s.managed && s.entry.result === 'failed');
  if (input.teardownOnChange && suspects.length > 0) {
    progress.step('confirm', `${suspects.length} failed; checking again in ${input.confirmAfter / 1000}s`);
    await sleep(input.confirmAfter);
    for (const s of suspects) {
      progress.step(`confirm-${s.provider}-${s.item.key}`);
      const again = await s.check();
      s.entry.confirmed = again.result === 'failed';
      if (!s.entry.confirmed) {
        s.entry.failures.push(`not confirmed: a second check ${input.confirmAfter / 1000}s later was ${again.result}`);
        continue;
      }
      if (!budget.take(`${s.provider}/${s.item.cvmId}`)) {
        s.entry.action = 'refused-blast-radius';
        continue;
      }
      progress.step(`teardown-${s.provider}-${s.item.key}`);
      const t = await startFleetTeardown({ provider: s.provider, key: s.item.key, cvmId: s.item.cvmId, cvmName: s.item.name, reason: 'reattestation-failed', why: `attestation failed twice: ${again.reasons.join('; ')}` });
      s.entry.teardownWorkflowId = t.workflowId;
      s.entry.action = t.outcome === 'started' ? 'teardown-started' : 'teardown-already-running';
    }
  } else if (suspects.length > 0) {
    for (const s of suspects) s.entry.action = 'report-only';
  }

  for (const s of subjects) {
    result.cvms.push(s.entry);
    if (s.entry.changed) log.warn('CVM attestation verdict changed', { provider: s.provider, cvmId: s.item.cvmId, name: s.item.name, previous: s.entry.previous, result: s.entry.result, failures: s.entry.failures });
    if (s.entry.result === 'undetermined') log.warn('CVM attestation undetermined: the check could not run', { provider: s.provider, cvmId: s.item.cvmId, reasons: s.entry.failures });
  }
  const count = (r: AttestationResult) => result.cvms.filter((c) => c.result === r).length;
  Object.assign(result, { verified: count('verified'), failed: count('failed'), undetermined: count('undetermined') });
  result.changed = result.cvms.filter((c) => c.changed).length;
  result.tornDown = result.cvms.filter((c) => c.action === 'teardown-started' || c.action === 'teardown-already-running').length;
  result.blastRadius = { allowed: budget.allowed, taken: budget.taken, refused: budget.refused.length };
  upsertSearchAttributes([{ key: CvmAttestation, value: result.failed ? 'failed' : result.undetermined ? 'undetermined' : 'verified' }]);
  progress.step('done', `${result.cvms.length} checked: ${result.verified} verified, ${result.failed} failed, ${result.undetermined} undetermined; ${result.tornDown} torn down`);
  budget.enforce(result);
  return result;
}

/** One CVM: whether cvmflow created it (by recorded provider id), how to verify it, and its report line. */
async function subjectOf(acts: LifecycleActivities, input: ReattestCvmsParams, records: Records, provider: AttestedProvider, item: InventoryItem, previousResult: AttestationResult | undefined): Promise<Subject> {
  const lifecycle = lifecycleOf(records, item);
  const managed = lifecycle?.status === 'COMPLETED' && isManaged(records, item);
  const previous = previousResult ?? (managed ? 'verified' : null);
  const entry: ReattestedCvm = { provider, cvmId: item.cvmId, name: item.key, managed, previous, previouslyVerified: previous === null ? null : previous === 'verified', verified: false, changed: false, failures: [], teardownWorkflowId: null, confirmed: null, action: 'none' };
  const check = await providerPort(provider).evidence.checker(acts, { item, policy: input.policy, managed, lifecycle });
  return { provider, item, managed, check, entry };
}

function record(entry: ReattestedCvm, o: Outcome): void {
  entry.result = o.result;
  entry.verified = o.result === 'verified';
  // the failed checks' names (the verdict has the details), or why nothing could be checked
  entry.failures = o.verdict ? [...o.verdict.failures] : o.reasons;
  entry.changed = entry.previous !== null && entry.previous !== undefined && entry.previous !== o.result;
}

/**
 * Release 0.1.0's body, kept so runs that started on it replay (patch `reattest-three-verdicts`). It treats a
 * verification error as not verified; new runs never take this path.
 */
async function reattestCvmsRelease010(input: ReattestCvmsParams): Promise<ReattestCvmsResult> {
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const checkedAt = new Date().toISOString();
  const result: ReattestCvmsResult = { checkedAt, skipped: null, cvms: [], changed: 0 };

  progress.step('list-prism');
  let items: InventoryItem[];
  try {
    items = (await inventory(acts, 'prism')).filter((i) => i.class === 'running' && i.evidenceReady);
  } catch (err) {
    const why = notConfigured(err);
    if (!why) throw err;
    progress.step('done', 'prism not configured');
    return { ...result, skipped: why };
  }
  const records = await loadRecords(acts);

  for (const item of items) {
    progress.step(`verify-${item.key}`);
    const lifecycle = records.lifecycles.get(`prism/${item.key}`);
    const managed = lifecycle?.status === 'COMPLETED';
    let verified = false;
    let failures: string[];
    try {
      const { cvm } = await acts.prismGetCvm({ id: item.cvmId });
      const policy = input.policy ? { policyJson: JSON.stringify(input.policy) } : { policyBase64: (await acts.prismGetAttestationPolicy({ id: item.cvmId })).attestation_policy };
      const verdict = await acts.verifyCvmAttestation({ evidenceBase64: String(cvm.attestation ?? ''), ...policy, at: checkedAt });
      verified = verdict.verified;
      failures = [...verdict.failures];
    } catch (err) {
      failures = [`verification error: ${describeFailure(err).message}`];
    }
    const previouslyVerified = managed ? true : null;
    const changed = previouslyVerified !== null && previouslyVerified !== verified;
    let teardownWorkflowId: string | null = null;
    if (changed && input.teardownOnChange) {
      const t = await startFleetTeardown({ provider: 'prism', key: item.key, cvmId: item.cvmId, cvmName: item.name, reason: 'reattestation-failed', why: `attestation no longer verifies: ${failures.join(', ')}` });
      teardownWorkflowId = t.workflowId;
    }
    if (changed) log.warn('CVM attestation verdict changed', { cvmId: item.cvmId, name: item.name, failures });
    result.cvms.push({ cvmId: item.cvmId, name: item.key, managed, previouslyVerified, verified, changed, failures, teardownWorkflowId });
  }
  result.changed = result.cvms.filter((c) => c.changed).length;
  progress.step('done', `${result.cvms.length} verified again, ${result.changed} changed`);
  return result;
}
