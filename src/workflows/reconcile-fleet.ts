// `reconcileFleet` (run by a Schedule): compares every configured provider's CVMs with cvmflow's records
// (lifecycle and teardown workflows in visibility; CUDO's managed-by mark) and
//   - starts `teardownCvm` for a CVM cvmflow created whose lease expired and that has no teardown running,
//   - reports CVMs at a provider that cvmflow has no record of (never touched), and
//   - reports records whose CVM is gone without a cvmflow teardown.
// Nothing cvmflow did not create is ever deleted.
import { log } from '@temporalio/workflow';
import type { Provider } from '../contract/common';
import { ReconcileFleetInputSchema, type ReconcileFleetInput, type ReconcileFleetResult } from '../contract/fleet';
import { lifecycleWorkflowId, teardownWorkflowId } from '../contract/workflow-ids';
import { FleetProgress, inventory, loadRecords, notConfigured, type InventoryItem, type Records } from './support/fleet';
import { startFleetTeardown } from './support/fleet-teardown';
import { parseWorkflowInput } from './support/input';
import { providerActivities } from './support/options';

export async function reconcileFleet(raw: ReconcileFleetInput = {}): Promise<ReconcileFleetResult> {
  const input = parseWorkflowInput('reconcileFleet', ReconcileFleetInputSchema, raw);
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const now = Date.now();
  const result: ReconcileFleetResult = { checkedAt: new Date(now).toISOString(), providers: {}, managed: 0, expired: [], orphans: [], missing: [] };

  progress.step('load-records');
  const records = await loadRecords(acts);

  for (const provider of input.providers) {
    progress.step(`list-${provider}`);
    let items: InventoryItem[];
    try {
      items = await inventory(acts, provider);
    } catch (err) {
      const why = notConfigured(err);
      if (!why) throw err;
      result.providers[provider] = { listed: 0, skipped: why };
      continue;
    }
    result.providers[provider] = { listed: items.length, skipped: null };
    const present = new Set(items.map((i) => i.key));

    for (const item of items) {
      const k = `${provider}/${item.key}`;
      const lifecycle = records.lifecycles.get(k);
      const ref = { provider, key: item.key, cvmId: item.cvmId, name: item.name };
      if (!lifecycle) result.orphans.push({ ...ref, status: item.status, marked: item.marked });
      if (!lifecycle && !item.marked) continue; // not created by cvmflow: left alone
      result.managed++;
      const lease = leaseOf(records, k, item);
      if (lease === undefined || lease.at > now) continue;
      const teardownId = teardownWorkflowId(provider, item.key);
      const leaseExpiredAt = new Date(lease.at).toISOString();
      if (lease.teardownRunning) {
        result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: teardownId, action: 'teardown-already-running' });
      } else if (!input.teardownExpired) {
        result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: teardownId, action: 'report-only' });
      } else {
        progress.step(`teardown-${provider}-${item.key}`);
        const t = await startFleetTeardown({
          provider,
          key: item.key,
          cvmId: item.cvmId,
          cvmName: item.name,
          reason: 'reconcile',
          why: `lease expired ${leaseExpiredAt}`,
          extra: { pollInterval: input.teardownPollInterval, gracefulTimeout: input.gracefulTimeout, providerCallTimeout: input.providerCallTimeout },
        });
        result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: t.workflowId, action: t.outcome === 'started' ? 'teardown-started' : 'teardown-already-running' });
      }
    }

    for (const [k, lifecycle] of records.lifecycles) {
      const [p, ...rest] = k.split('/');
      const key = rest.join('/');
      if (p !== provider || present.has(key) || lifecycle.status !== 'COMPLETED') continue;
      const teardown = records.teardowns.get(k);
      const tornDown = teardown && teardown.status === 'COMPLETED' && (teardown.step === 'deleted' || teardown.step === 'already-gone') && teardown.startTime >= lifecycle.startTime;
      if (!tornDown) result.missing.push({ provider: provider as Provider, key, cvmId: lifecycle.cvmId, name: lifecycle.cvmName, workflowId: lifecycleWorkflowId(provider as Provider, key) });
    }
  }

  progress.step('done', `${result.managed} managed, ${result.expired.length} expired, ${result.orphans.length} orphans, ${result.missing.length} missing`);
  log.info('fleet reconciled', { managed: result.managed, expired: result.expired.length, orphans: result.orphans.length, missing: result.missing.length });
  return result;
}

/**
 * When the CVM's lease ends, and whether a teardown is running. The lease is the earliest of: CUDO's
 * `cvmflow-expires-at` metadata, the time of the newest teardown workflow (when it is newer than the lifecycle
 * and was not cancelled by a person), else the lifecycle's own teardown time (its `ttl`).
 */
function leaseOf(records: Records, k: string, item: InventoryItem): { at: number; teardownRunning: boolean } | undefined {
  const lifecycle = records.lifecycles.get(k);
  const teardown = records.teardowns.get(k);
  const candidates: number[] = [];
  if (item.expiresAt && Number.isFinite(Date.parse(item.expiresAt))) candidates.push(Date.parse(item.expiresAt));
  const teardownIsNewer = teardown && (!lifecycle || teardown.startTime >= lifecycle.startTime);
  if (teardownIsNewer) {
    const cancelled = teardown.status === 'COMPLETED' && teardown.step === 'cancelled';
    if (!cancelled && teardown.teardownAt) candidates.push(Date.parse(teardown.teardownAt));
  } else if (lifecycle?.teardownAt) candidates.push(Date.parse(lifecycle.teardownAt));
  if (candidates.length === 0) return undefined;
  return { at: Math.min(...candidates), teardownRunning: teardown?.status === 'RUNNING' };
}
