// Activities of the fleet workflows that need Temporal itself: what cvmflow's records (lifecycle and
// teardown workflows in visibility) say. The Client is handed in by whoever builds the activities.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { CvmflowWorkflowRecord } from '../contract/fleet';
import { workflowRecord } from '../client/workflow-record';
import { invalidInputFailure } from './provider-failure';
import { FailureTypes } from '../contract/failures';

export interface FleetActivityDependencies {
  /** A Temporal client on the worker's namespace; default: the worker's own (`Context.current().client`). */
  temporalClient?: Client;
}

const ListInputSchema = z.object({
  query: z.string().min(1).max(4_000),
  limit: z.number().int().min(1).max(50_000).default(10_000),
  /** Keep only the newest run of each workflow id (keeps the result, which enters history, small). */
  latestPerWorkflowId: z.boolean().default(true),
});


export function createFleetActivities(deps: FleetActivityDependencies) {
  return {
    /** Workflow executions matching a visibility query (every run, newest first), as plain records. */
    async listCvmflowWorkflows(input: z.input<typeof ListInputSchema>): Promise<CvmflowWorkflowRecord[]> {
      const p = ListInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('listCvmflowWorkflows', p.error);
      let client = deps.temporalClient;
      if (!client) {
        try {
          client = Context.current().client;
        } catch {
          throw ApplicationFailure.create({ message: 'listCvmflowWorkflows: no Temporal client for visibility queries on this worker', type: FailureTypes.TemporalClientNotConfigured, nonRetryable: true });
        }
      }
      const out: CvmflowWorkflowRecord[] = [];
      const latest = new Map<string, number>();
      for await (const w of client.workflow.list({ query: p.data.query })) {
        const r = workflowRecord(w);
        const seen = p.data.latestPerWorkflowId ? latest.get(r.workflowId) : undefined;
        if (seen === undefined) {
          latest.set(r.workflowId, out.length);
          out.push(r);
        } else if (out[seen]!.startTime < r.startTime) out[seen] = r;
        if (out.length >= p.data.limit) break;
      }
      return out;
    },
  };
}
