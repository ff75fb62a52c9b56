// Starts a `teardownCvm` for a fleet workflow, under the CVM's deterministic teardown id.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { PROVIDER_PROFILES } from '../../contract/rules/profiles';
import type { TeardownCvmInput } from '../../contract/teardown';
import { teardownWorkflowId } from '../../contract/workflow-ids';
import type { teardownCvm } from '../teardown-cvm';

/** 'started', or 'already-running' when a teardown with that id is running (it is kept). */
export async function startFleetTeardown(p: { provider: Provider; key: string; cvmId: string; cvmName: string | null; reason: string; why: string; extra?: Partial<TeardownCvmInput> }): Promise<{ workflowId: string; outcome: 'started' | 'already-running' }> {
  const workflowId = teardownWorkflowId(p.provider, p.key);
  const input: TeardownCvmInput = { provider: p.provider, cvmId: p.cvmId, ...(p.cvmName && PROVIDER_PROFILES[p.provider].addressedByName ? { cvmName: p.cvmName } : {}), reason: p.reason, ...p.extra };
  try {
    await startChild<typeof teardownCvm>('teardownCvm', {
      workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [input],
      staticSummary: `Tear down ${p.provider} CVM ${p.cvmName ?? p.cvmId} now (${p.why})`,
    });
    return { workflowId, outcome: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, outcome: 'already-running' };
    throw err;
  }
}
