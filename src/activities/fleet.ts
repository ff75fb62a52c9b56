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


const LifecycleIdentityInputSchema = z.object({ workflowId: z.string().min(1).max(1_000), runId: z.string().min(1).max(100) });
const PreviousReattestationInputSchema = z.object({ excludeWorkflowId: z.string().min(1).max(1_000) });

/** What a finished lifecycle recorded about its CVM (for re-attestation: the identity it must still show). */
export interface LifecycleIdentity {
  status: 'completed' | 'not-completed';
  cvmId: string | null;
  appId: string | null;
  vmUuid: string | null;
  composeHash: string | null;
  /** Pinned at the lifecycle's attestation; null when it was not attested (older runs, or skipped). */
  keyProvider: { name: string; id: string | null } | null;
  attestation: 'verified' | 'skipped' | 'none';
}

function clientOf(deps: FleetActivityDependencies, activity: string): Client {
  if (deps.temporalClient) return deps.temporalClient;
  try {
    return Context.current().client;
  } catch {
    throw ApplicationFailure.create({ message: `${activity}: no Temporal client for visibility queries on this worker`, type: FailureTypes.TemporalClientNotConfigured, nonRetryable: true });
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function createFleetActivities(deps: FleetActivityDependencies) {
  return {
    /** The identity a completed lifecycle recorded (its result): provider id, app, compose hash, pinned key provider. */
    async lifecycleIdentity(input: z.input<typeof LifecycleIdentityInputSchema>): Promise<LifecycleIdentity> {
      const p = LifecycleIdentityInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('lifecycleIdentity', p.error);
      const handle = clientOf(deps, 'lifecycleIdentity').workflow.getHandle(p.data.workflowId, p.data.runId);
      const { status } = await handle.describe();
      if (status.name !== 'COMPLETED') return { status: 'not-completed', cvmId: null, appId: null, vmUuid: null, composeHash: null, keyProvider: null, attestation: 'none' };
      const r = ((await handle.result()) ?? {}) as Record<string, unknown>;
      const att = (r.attestation ?? null) as { result?: unknown; keyProvider?: { name?: unknown; id?: unknown } } | null;
      const kp = att?.result === 'verified' && att.keyProvider && str(att.keyProvider.name) ? { name: str(att.keyProvider.name)!, id: str(att.keyProvider.id) } : null;
      return {
        status: 'completed',
        cvmId: str(r.cvmId),
        appId: str(r.appId),
        vmUuid: str(r.vmUuid),
        composeHash: str(r.composeHash),
        keyProvider: kp,
        attestation: att?.result === 'verified' ? 'verified' : att?.result === 'skipped' ? 'skipped' : 'none',
      };
    },

    /** Each CVM's verdict in the newest completed `reattestCvms` run other than this one: `<provider>/<cvmId>` → result. */
    async previousReattestation(input: z.input<typeof PreviousReattestationInputSchema>): Promise<Record<string, string>> {
      const p = PreviousReattestationInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('previousReattestation', p.error);
      const client = clientOf(deps, 'previousReattestation');
      let newest: { workflowId: string; runId: string; closeTime: number } | undefined;
      let seen = 0;
      for await (const w of client.workflow.list({ query: "WorkflowType = 'reattestCvms' AND ExecutionStatus = 'Completed'" })) {
        const closeTime = w.closeTime?.getTime() ?? 0;
        if (w.workflowId !== p.data.excludeWorkflowId && (!newest || closeTime > newest.closeTime)) newest = { workflowId: w.workflowId, runId: w.runId, closeTime };
        if (++seen >= 20) break; // visibility lists newest first; a few suffice against ordering ties
      }
      if (!newest) return {};
      const r = (await client.workflow.getHandle(newest.workflowId, newest.runId).result()) as { cvms?: Array<{ provider?: string; cvmId: string; result?: string; verified?: boolean }> } | undefined;
      const out: Record<string, string> = {};
      for (const c of r?.cvms ?? []) out[`${c.provider ?? 'prism'}/${c.cvmId}`] = c.result ?? (c.verified ? 'verified' : 'failed');
      return out;
    },


    /** Workflow executions matching a visibility query (every run, newest first), as plain records. */
    async listCvmflowWorkflows(input: z.input<typeof ListInputSchema>): Promise<CvmflowWorkflowRecord[]> {
      const p = ListInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('listCvmflowWorkflows', p.error);
      const client = clientOf(deps, 'listCvmflowWorkflows');
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
