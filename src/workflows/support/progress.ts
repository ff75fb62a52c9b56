// Where a lifecycle stands, kept current in three places: the `status` query, the custom search
// attributes (find it with `temporal workflow list --query`) and the UI's current details.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { CancellationScope, condition, log, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { boundKeyword, CvmCcPlatform, CvmId, CvmName, CvmProvider, CvmStatus, CvmStep, CvmTeardownAt } from '../../contract/search-attributes';
import { statusQuery, type CvmWorkflowStatus } from '../../contract/status';

type Patch = Partial<Pick<CvmWorkflowStatus, 'cvmId' | 'cvmName' | 'providerStatus' | 'teardownAt' | 'lastError'>> & { ccPlatform?: string };

export class Progress {
  private readonly status: CvmWorkflowStatus;
  private ccPlatform?: string;
  /** Lean runs: a change not yet written to the search attributes, and local activities not yet settled. */
  private unwritten = false;
  private localPending = 0;
  private lastWritten = '';

  /**
   * `lean` (a run with the lean-history patch, see support/options): the search attributes are written once per
   * workflow task, when the workflow stops for something other than a local activity (an activity, a timer, a
   * message, its end), with the values it stopped on; runs from before the patch write them at every step and fact.
   * The status query and the UI's current details still change at once. Visibility reads the attributes only when
   * a workflow task completes, so it never saw the values in between: nothing the UI or a `--query` shows is lost.
   */
  constructor(provider: Provider, init: Patch = {}, readonly lean = false) {
    this.status = { workflowType: workflowInfo().workflowType, step: 'start', provider, history: [] };
    setHandler(statusQuery, () => this.status);
    this.step('start', init);
    // Conditions are checked after the workflow's code has run to its next await, as each activation ends; the
    // write is not cancellable, so a cancelled lifecycle still shows its compensation and failure.
    if (lean) void CancellationScope.nonCancellable(() => this.writeWhenSettled());
  }

  get current(): Readonly<CvmWorkflowStatus> {
    return this.status;
  }

  /** Enters a lifecycle step. */
  step(step: string, patch: Patch = {}): void {
    this.status.step = step;
    this.status.history.push({ step, at: new Date().toISOString() });
    this.update(patch);
  }

  /** Enters the last step and writes it at once: the workflow ends in this activation (return, throw). */
  finish(step: string, patch: Patch = {}): void {
    this.step(step, patch);
    this.writeNow();
  }

  /** Writes what has not been written yet, now: before a continue-as-new, or a failure thrown without `finish`. */
  writeNow(): void {
    if (!this.unwritten) return;
    this.unwritten = false;
    this.upsert();
  }

  /**
   * The read proxy of a lean run, counted: while a local activity is pending the workflow task goes on, so the
   * search attributes wait for what comes after it.
   */
  countLocal<T extends object>(proxy: T): T {
    const track = (p: Promise<unknown>) => {
      this.localPending++;
      return p.finally(() => this.localPending--);
    };
    return new Proxy(proxy, {
      get: (target, name) => {
        const fn = Reflect.get(target, name) as ((...args: unknown[]) => Promise<unknown>) & { executeWithOptions(o: unknown, a: unknown[]): Promise<unknown> };
        if (typeof fn !== 'function') return fn;
        return Object.assign((...args: unknown[]) => track(fn(...args)), { executeWithOptions: (o: unknown, a: unknown[]) => track(fn.executeWithOptions(o, a)) });
      },
    });
  }

  /**
   * A signal whose payload is not valid: logged, counted and shown (status query and current details), then
   * ignored. A signal cannot be answered, and a thrown handler would fail every workflow task from then on.
   */
  rejectMessage(name: string, issues: string): void {
    this.status.rejectedMessages = (this.status.rejectedMessages ?? 0) + 1;
    this.status.lastRejectedMessage = `${name}: ${issues}`.slice(0, 500);
    log.warn('cvmflow: ignored a signal with an invalid payload', { signal: name, issues });
    this.publishDetails();
  }

  /** Updates facts without entering a new step. */
  update(patch: Patch): void {
    const { ccPlatform, ...rest } = patch;
    if (ccPlatform) this.ccPlatform = ccPlatform;
    Object.assign(this.status, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    this.publish();
  }

  private publish(): void {
    this.publishDetails();
    if (this.lean) this.unwritten = true;
    else this.upsert();
  }

  private async writeWhenSettled(): Promise<never> {
    const settled = () => this.unwritten && this.localPending === 0;
    for (;;) {
      await condition(settled);
      // A condition true when it is made resolves on the next microtask, after the code that made it may have
      // started a local activity: asked again, here.
      if (settled()) this.writeNow();
    }
  }

  private upsert(): void {
    const s = this.status;
    // Keyword values are cut well below the server's limit: a provider's long status word must not get the run
    // terminated for a bad search attribute.
    const pairs: SearchAttributeUpdatePair[] = [
      { key: CvmProvider, value: s.provider },
      { key: CvmStep, value: boundKeyword(s.step) },
    ];
    if (s.cvmName) pairs.push({ key: CvmName, value: boundKeyword(s.cvmName) });
    if (s.cvmId) pairs.push({ key: CvmId, value: boundKeyword(s.cvmId) });
    if (s.providerStatus) pairs.push({ key: CvmStatus, value: boundKeyword(s.providerStatus) });
    if (this.ccPlatform) pairs.push({ key: CvmCcPlatform, value: boundKeyword(this.ccPlatform) });
    if (s.teardownAt) pairs.push({ key: CvmTeardownAt, value: new Date(s.teardownAt) });
    if (this.lean) {
      // The same values as the last write (a fact repeated, a step entered again) are not written again.
      const written = JSON.stringify(pairs.map((p) => [p.key.name, p.value]));
      if (written === this.lastWritten) return;
      this.lastWritten = written;
    }
    upsertSearchAttributes(pairs);
  }

  private publishDetails(): void {
    const s = this.status;
    const lines = [
      `**${s.workflowType}** · ${s.provider}${s.cvmName ? ` · \`${s.cvmName}\`` : ''}`,
      '',
      `- step: **${s.step}**`,
      ...(s.cvmId ? [`- CVM id: \`${s.cvmId}\``] : []),
      ...(s.providerStatus ? [`- provider status: ${s.providerStatus}`] : []),
      ...(s.teardownAt ? [`- teardown at: ${s.teardownAt}`] : []),
      ...(s.lastError ? [`- last error: ${s.lastError}`] : []),
      ...(s.rejectedMessages ? [`- ignored ${s.rejectedMessages} invalid signal(s); last: ${s.lastRejectedMessage}`] : []),
      '',
      s.history.map((h) => `${h.at.slice(11, 19)} ${h.step}`).join(' → '),
    ];
    setCurrentDetails(lines.join('\n'));
  }
}
