// A lifecycle's `ttl` starts a `teardownCvm` under a deterministic id that outlives its parent.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { teardownWorkflowId } from '../../contract/workflow-ids';
import type { teardownCvm } from '../teardown-cvm';
import { hasPatch, providerActivities } from './options';

export async function scheduleTeardown(lean: boolean, p: { provider: Provider; key: string; cvmId?: string; cvmName?: string; ttlMs: number; pollIntervalMs: number; providerCallTimeoutMs: number }): Promise<{ workflowId: string; teardownAt: string }> {
  const workflowId = teardownWorkflowId(p.provider, p.key);
  const teardownAt = new Date(Date.now() + p.ttlMs).toISOString();
  try {
    await startChild<typeof teardownCvm>('teardownCvm', {
      workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ provider: p.provider, cvmId: p.cvmId, cvmName: p.cvmName, teardownAt, reason: 'ttl', pollInterval: p.pollIntervalMs, providerCallTimeout: p.providerCallTimeoutMs }],
      staticSummary: `Tear down ${p.provider} CVM ${p.cvmName ?? p.cvmId} at ${teardownAt} (ttl)`,
    });
  } catch (err) {
    // A teardown for this CVM is already scheduled (a repeated run): keep it, and report when it will really act.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    if (hasPatch(lean, 'report-existing-teardown-time')) return providerActivities(p.providerCallTimeoutMs).queryTeardownAt({ workflowId });
  }
  return { workflowId, teardownAt };
}
