// Activities of the fleet workflows that need Temporal itself: what cvmflow's records (lifecycle and
// teardown workflows in visibility) say. The Client is handed in by whoever builds the activities.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
// The SDK's own decoding of a raw visibility entry (its `workflow.list` iterator hides the page token we need).
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { z } from 'zod';
import type { CvmflowWorkflowRecord } from '../contract/fleet';
import { workflowRecord } from '../client/workflow-record';
import { invalidInputFailure } from './provider-failure';
import { FailureTypes } from '../contract/failures';
import { teardownAtQuery } from '../contract/teardown';

export interface FleetActivityDependencies {
  /** A Temporal client on the worker's namespace; default: the worker's own (`Context.current().client`). */
  temporalClient?: Client;
}

const ListInputSchema = z.object({
  query: z.string().min(1).max(4_000),
  /** Records per page. A record is about 250 bytes, so 1,000 keep one result (it enters history) near 250 KB,
   * far below Temporal's 2 MB payload limit. */
  pageSize: z.number().int().min(1, 'pageSize must be between 1 and 2000').max(2_000, 'pageSize must be between 1 and 2000').default(1_000),
  /** The `nextPageToken` of the previous page (base64); omitted for the first page. */
  pageToken: z.string().max(10_000).optional(),
  /** Keep only the newest run of each workflow id within the page (the caller merges across pages). */
  latestPerWorkflowId: z.boolean().default(true),
});

const TeardownRefSchema = z.object({ workflowId: z.string().min(1).max(1_000) });

/** The worker's Temporal client (or the one handed in). */
function temporalClient(deps: FleetActivityDependencies, activity: string): Client {
  if (deps.temporalClient) return deps.temporalClient;
  try {
    return Context.current().client;
  } catch {
    throw ApplicationFailure.create({ message: `${activity}: no Temporal client on this worker`, type: FailureTypes.TemporalClientNotConfigured, nonRetryable: true });
  }
}

/** One page of visibility records; `nextPageToken` is null on the last page. */
export interface CvmflowWorkflowPage {
  records: CvmflowWorkflowRecord[];
  nextPageToken: string | null;
}


export function createFleetActivities(deps: FleetActivityDependencies) {
  return {
    /** One page of the workflow executions matching a visibility query, as plain records. */
    async listCvmflowWorkflows(input: z.input<typeof ListInputSchema>): Promise<CvmflowWorkflowPage> {
      const p = ListInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('listCvmflowWorkflows', p.error);
      const client = temporalClient(deps, 'listCvmflowWorkflows');
      const res = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query: p.data.query,
        pageSize: p.data.pageSize,
        nextPageToken: p.data.pageToken ? Buffer.from(p.data.pageToken, 'base64') : undefined,
      });
      const out: CvmflowWorkflowRecord[] = [];
      const latest = new Map<string, number>();
      for (const raw of res.executions) {
        const r = workflowRecord(await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace));
        const seen = p.data.latestPerWorkflowId ? latest.get(r.workflowId) : undefined;
        if (seen === undefined) {
          latest.set(r.workflowId, out.length);
          out.push(r);
        } else if (out[seen]!.startTime < r.startTime) out[seen] = r;
      }
      const token = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64') : null;
      return { records: out, nextPageToken: token };
    },

    /** When a running teardown will act (its `teardownAt` query): what a repeated lifecycle reports, not a guess. */
    async queryTeardownAt(input: z.input<typeof TeardownRefSchema>): Promise<{ workflowId: string; teardownAt: string }> {
      const p = TeardownRefSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('queryTeardownAt', p.error);
      const teardownAt = await temporalClient(deps, 'queryTeardownAt').workflow.getHandle(p.data.workflowId).query(teardownAtQuery);
      return { workflowId: p.data.workflowId, teardownAt };
    },
  };
}
