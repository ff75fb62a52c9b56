// A workflow execution from Temporal visibility as a plain record (ids, status, cvmflow's search attributes),
// shared by the client library's `list` and the fleet workflows' visibility activity.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import type { RawWorkflowExecutionInfo } from '@temporalio/client/lib/types';
import type { LoadedDataConverter } from '@temporalio/common';
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

/**
 * One visibility entry decoded. `memo: 'skip'` never decodes the memo (a record needs ids, status, times and
 * search attributes only); `'if-decodable'` decodes it, and drops it when it cannot be decoded (written with a
 * codec key this process does not hold), so one such entry never stops a scan or a listing.
 */
export async function decodeExecution(
  raw: RawWorkflowExecutionInfo,
  converter: LoadedDataConverter,
  namespace: string,
  memo: 'skip' | 'if-decodable',
): Promise<WorkflowExecutionInfo> {
  const bare = Object.assign(Object.create(Object.getPrototypeOf(raw) as object) as RawWorkflowExecutionInfo, raw, { memo: null });
  if (memo === 'skip') return executionInfoFromRaw(bare, converter, bare, namespace);
  try {
    return await executionInfoFromRaw(raw, converter, raw, namespace);
  } catch {
    return executionInfoFromRaw(bare, converter, bare, namespace);
  }
}
