// Where a lifecycle stands, kept current in three places: the `status` query, the custom search
// attributes (find it with `temporal workflow list --query`) and the UI's current details.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { log, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { boundKeyword, CvmCcPlatform, CvmId, CvmName, CvmProvider, CvmStatus, CvmStep, CvmTeardownAt } from '../../contract/search-attributes';
import { statusQuery, type CvmWorkflowStatus } from '../../contract/status';

type Patch = Partial<Pick<CvmWorkflowStatus, 'cvmId' | 'cvmName' | 'providerStatus' | 'teardownAt' | 'lastError'>> & { ccPlatform?: string };

export class Progress {
  private readonly status: CvmWorkflowStatus;
  private ccPlatform?: string;

  constructor(provider: Provider, init: Patch = {}) {
    this.status = { workflowType: workflowInfo().workflowType, step: 'start', provider, history: [] };
    setHandler(statusQuery, () => this.status);
    this.step('start', init);
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
    upsertSearchAttributes(pairs);
    this.publishDetails();
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
