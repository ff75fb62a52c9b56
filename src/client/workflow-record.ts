// A workflow execution from Temporal visibility as a plain record (ids, status, cvmflow's search attributes),
// shared by the client library's `list` and the fleet workflows' visibility activity.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { CvmflowWorkflowRecord } from '../contract/fleet';
import { CvmId, CvmName, CvmProvider, CvmStep, CvmTeardownAt } from '../contract/search-attributes';

export function workflowRecord(w: Omit<WorkflowExecutionInfo, 'raw'>): CvmflowWorkflowRecord {
  const sa = w.typedSearchAttributes;
  const teardownAt = sa.get(CvmTeardownAt);
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    type: w.type,
    status: w.status.name,
    startTime: w.startTime.toISOString(),
    closeTime: w.closeTime?.toISOString() ?? null,
    provider: sa.get(CvmProvider) ?? null,
    cvmName: sa.get(CvmName) ?? null,
    cvmId: sa.get(CvmId) ?? null,
    step: sa.get(CvmStep) ?? null,
    teardownAt: teardownAt ? teardownAt.toISOString() : null,
  };
}
