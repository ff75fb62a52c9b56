// `reattestCvms` (run by a Schedule): verifies the current evidence of every running Prism CVM again, at the
// run's time. A CVM cvmflow created was verified at creation (an unverified one is never reported ready), so
// its baseline verdict is "verified"; one that no longer verifies has changed: it is reported and, when the
// schedule says `teardownOnChange`, torn down. CVMs cvmflow did not create are verified and reported only.
import { log } from '@temporalio/workflow';
import { ReattestCvmsInputSchema, type ReattestCvmsInput, type ReattestCvmsResult } from '../contract/fleet';
import { FleetProgress, inventory, loadRecords, notConfigured, type InventoryItem } from './support/fleet';
import { startFleetTeardown } from './support/fleet-teardown';
import { describeFailure, parseWorkflowInput } from './support/input';
import { providerActivities } from './support/options';

export async function reattestCvms(raw: ReattestCvmsInput = {}): Promise<ReattestCvmsResult> {
  const input = parseWorkflowInput('reattestCvms', ReattestCvmsInputSchema, raw);
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
