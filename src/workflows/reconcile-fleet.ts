// `reconcileFleet` (run by a Schedule): compares every configured provider's CVMs with cvmflow's records
// (lifecycle and teardown workflows in visibility; CUDO's managed-by mark) and
//   - starts `teardownCvm` for a CVM cvmflow created whose lease expired and that has no teardown running,
//     within the blast-radius limit (beyond it the run stops acting and fails with `BlastRadiusExceeded`),
//   - reports CVMs at a provider that cvmflow has no record of (never touched), and
//   - reports records whose CVM is gone without a cvmflow teardown.
// A CVM is cvmflow's when a lifecycle recorded its provider id (or CUDO's managed-by mark is on it), never by its
// name: a same-named stranger is reported and left alone. Long sweeps continue as new, resuming where they stopped.
import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import type { Provider } from '../contract/common';
import { ReconcileFleetInputSchema, type ReconcileContinuation, type ReconcileFleetInput, type ReconcileFleetParams, type ReconcileFleetResult } from '../contract/fleet';
import { lifecycleWorkflowId, teardownWorkflowId } from '../contract/workflow-ids';
import { ActionBudget } from './support/blast-radius';
import { FleetProgress, inventory, isManaged, lifecycleOf, loadRecords, notConfigured, type InventoryItem, type Records } from './support/fleet';
import { startFleetTeardown } from './support/fleet-teardown';
import { parseWorkflowInput } from './support/input';
import { providerActivities } from './support/options';
import { ofProvider } from './support/provider-port';

export async function reconcileFleet(raw: ReconcileFleetInput = {}): Promise<ReconcileFleetResult> {
  const input = parseWorkflowInput('reconcileFleet', ReconcileFleetInputSchema, raw);
  const progress = new FleetProgress();
  const acts = providerActivities(input.providerCallTimeout);
  const carried = input.continuation;
  const now = carried ? Date.parse(carried.checkedAt) : Date.now();
  const result: ReconcileFleetResult = carried?.result ?? { checkedAt: new Date(now).toISOString(), providers: {}, managed: 0, expired: [], orphans: [], missing: [] };
  // Runs started before matching by recorded id (and the budget over the whole fleet) replay the old order.
  const byIdentity = patched('reconcile-by-recorded-id');

  progress.step('load-records');
  const records = await loadRecords(acts);
  const sweep = new Sweep(input, records, result, now, byIdentity, progress);

  const providers = carried ? input.providers.slice(input.providers.indexOf(carried.after.provider)) : input.providers;
  const listed: Array<[Provider, InventoryItem[]]> = [];
  for (const provider of providers) {
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
    if (byIdentity) listed.push([provider, items]);
    else await sweep.provider(provider, items, new ActionBudget('reconcileFleet', input.blastRadius, items.filter((i) => sweep.owns(i)).length));
  }
  if (byIdentity) {
    const fleetSize = carried?.fleetSize ?? listed.reduce((n, [, items]) => n + items.filter((i) => sweep.owns(i)).length, 0);
    const budget = new ActionBudget('reconcileFleet', input.blastRadius, fleetSize, carried ? { taken: carried.acted, refused: carried.refused } : undefined);
    for (const [provider, items] of listed) await sweep.provider(provider, items, budget, carried?.after);
    progress.step('done', summary(result));
    log.info('fleet reconciled', { managed: result.managed, expired: result.expired.length, orphans: result.orphans.length, missing: result.missing.length, teardowns: budget.taken });
    budget.enforce(result);
    return result;
  }
  progress.step('done', summary(result));
  log.info('fleet reconciled', { managed: result.managed, expired: result.expired.length, orphans: result.orphans.length, missing: result.missing.length });
  return result;
}

function summary(r: ReconcileFleetResult): string {
  return `${r.managed} managed, ${r.expired.length} expired, ${r.orphans.length} orphans, ${r.missing.length} missing`;
}

/** One reconciliation pass over the providers' CVMs, in a fixed order so a continuation can resume after any CVM. */
class Sweep {
  private actedThisRun = 0;

  constructor(
    private readonly input: ReconcileFleetParams,
    private readonly records: Records,
    private readonly result: ReconcileFleetResult,
    private readonly now: number,
    private readonly byIdentity: boolean,
    private readonly progress: FleetProgress,
  ) {}

  /** cvmflow's own: its lifecycle recorded this provider id (or, on old runs, this name), or CUDO's mark is on it. */
  owns(item: InventoryItem): boolean {
    return this.recorded(item) || item.marked;
  }

  private recorded(item: InventoryItem): boolean {
    return this.byIdentity ? isManaged(this.records, item) : lifecycleOf(this.records, item) !== undefined;
  }

  async provider(provider: Provider, items: InventoryItem[], budget: ActionBudget, after?: ReconcileContinuation['after']): Promise<void> {
    const resumeAt = after && ofProvider(provider)(after) ? after : undefined;
    for (const item of items) {
      if (resumeAt && (item.key.localeCompare(resumeAt.key) || item.cvmId.localeCompare(resumeAt.cvmId)) <= 0) continue;
      await this.item(provider, item, budget);
    }
    this.missing(provider, items);
  }

  private async item(provider: Provider, item: InventoryItem, budget: ActionBudget): Promise<void> {
    const k = `${provider}/${item.key}`;
    const recorded = this.recorded(item);
    const ref = { provider, key: item.key, cvmId: item.cvmId, name: item.name };
    if (!recorded) this.result.orphans.push({ ...ref, status: item.status, marked: item.marked, ...(this.records.lifecycles.has(k) ? { namesake: true } : {}) });
    if (!recorded && !item.marked) return; // not created by cvmflow: left alone
    this.result.managed++;
    const lease = this.leaseOf(k, item, recorded);
    if (lease === undefined || lease.at > this.now) return;
    const teardownId = teardownWorkflowId(provider, item.key);
    const leaseExpiredAt = new Date(lease.at).toISOString();
    if (lease.teardownRunning) {
      this.result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: teardownId, action: 'teardown-already-running' });
    } else if (!this.input.teardownExpired) {
      this.result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: teardownId, action: 'report-only' });
    } else if (!budget.take(`${provider}/${item.cvmId}`)) {
      this.result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: teardownId, action: 'refused-blast-radius' });
    } else {
      this.progress.step(`teardown-${provider}-${item.key}`);
      const t = await startFleetTeardown({
        provider,
        key: item.key,
        cvmId: item.cvmId,
        cvmName: item.name,
        reason: 'reconcile',
        why: `lease expired ${leaseExpiredAt}`,
        extra: { pollInterval: this.input.teardownPollInterval, gracefulTimeout: this.input.gracefulTimeout, providerCallTimeout: this.input.providerCallTimeout },
      });
      this.result.expired.push({ ...ref, leaseExpiredAt, teardownWorkflowId: t.workflowId, action: t.outcome === 'started' ? 'teardown-started' : 'teardown-already-running' });
      this.actedThisRun++;
      if (this.byIdentity) await this.continueIfLong(provider, item, budget);
    }
  }

  /** After an action (so every run makes progress), a long history continues as new from the next CVM. */
  private async continueIfLong(provider: Provider, item: InventoryItem, budget: ActionBudget): Promise<void> {
    const info = workflowInfo();
    if (this.actedThisRun === 0 || (info.historyLength < this.input.continueAsNewAfterEvents && !info.continueAsNewSuggested)) return;
    await condition(allHandlersFinished);
    const continuation: ReconcileContinuation = {
      checkedAt: this.result.checkedAt,
      after: { provider, key: item.key, cvmId: item.cvmId },
      fleetSize: budget.fleetSize,
      acted: budget.taken,
      refused: budget.refused,
      result: this.result,
    };
    await continueAsNew<(i: ReconcileFleetInput) => Promise<ReconcileFleetResult>>({ ...this.input, continuation });
  }

  /** Lifecycle records of this provider whose CVM (by recorded id) is gone without a cvmflow teardown. */
  private missing(provider: Provider, items: InventoryItem[]): void {
    const keys = new Set(items.map((i) => i.key));
    const ids = new Set(items.map((i) => i.cvmId));
    // Teardowns this sweep started (perhaps in an earlier run, before a continue-as-new): their CVMs are going.
    const tearingDown = new Set(this.result.expired.filter(ofProvider(provider)).filter((e) => e.action !== 'report-only' && e.action !== 'refused-blast-radius').map((e) => e.key));
    for (const [k, lifecycle] of this.records.lifecycles) {
      const [p, ...rest] = k.split('/');
      const key = rest.join('/');
      if (p !== provider || lifecycle.status !== 'COMPLETED') continue;
      const present = this.byIdentity && lifecycle.cvmId ? ids.has(lifecycle.cvmId) : keys.has(key);
      if (present || (this.byIdentity && tearingDown.has(key))) continue;
      const teardown = this.records.teardowns.get(k);
      const tornDown = teardown && teardown.startTime >= lifecycle.startTime && (teardown.status === 'RUNNING' ? this.byIdentity : teardown.status === 'COMPLETED' && (teardown.step === 'deleted' || teardown.step === 'already-gone'));
      if (!tornDown) this.result.missing.push({ provider, key, cvmId: lifecycle.cvmId, name: lifecycle.cvmName, workflowId: lifecycleWorkflowId(provider, key) });
    }
  }

  /**
   * When the CVM's lease ends, and whether a teardown is running. The records decide, as people can move or cancel
   * a teardown: the newest teardown workflow (when newer than the lifecycle, about this CVM, and not cancelled),
   * else the lifecycle's own teardown time (its `ttl`). CUDO's `cvmflow-expires-at` mark counts only when cvmflow
   * has no record of a lease (the records were lost).
   */
  private leaseOf(k: string, item: InventoryItem, recorded: boolean): { at: number; teardownRunning: boolean } | undefined {
    const lifecycle = recorded ? this.records.lifecycles.get(k) : undefined;
    const found = this.records.teardowns.get(k);
    const teardown = found && (!this.byIdentity || found.cvmId === null || found.cvmId === item.cvmId) ? found : undefined;
    const mark = item.expiresAt && Number.isFinite(Date.parse(item.expiresAt)) ? Date.parse(item.expiresAt) : undefined;
    let at: number | undefined;
    if (teardown && (!lifecycle || teardown.startTime >= lifecycle.startTime)) {
      const cancelled = teardown.status === 'COMPLETED' && teardown.step === 'cancelled';
      if (cancelled) return undefined;
      if (teardown.teardownAt) at = Date.parse(teardown.teardownAt);
    } else if (lifecycle?.teardownAt) at = Date.parse(lifecycle.teardownAt);
    at ??= mark;
    if (at === undefined) return undefined;
    return { at, teardownRunning: teardown?.status === 'RUNNING' };
  }
}
