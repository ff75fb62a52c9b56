// Activities of the fleet workflows that need Temporal itself: what cvmflow's records (lifecycle and
// teardown workflows in visibility) say. The Client is handed in by whoever builds the activities.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { AttestationResult, CvmflowWorkflowRecord } from '../contract/fleet';
// The SDK's own decoding of a raw visibility entry, behind decodeExecution (its `workflow.list` iterator hides the page token we need).
import { decodeExecution, workflowRecord } from '../client/workflow-record';
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

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function createFleetActivities(deps: FleetActivityDependencies) {
  return {
    /** The identity a completed lifecycle recorded (its result): provider id, app, compose hash, pinned key provider. */
    async lifecycleIdentity(input: z.input<typeof LifecycleIdentityInputSchema>): Promise<LifecycleIdentity> {
      const p = LifecycleIdentityInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('lifecycleIdentity', p.error);
      const handle = temporalClient(deps, 'lifecycleIdentity').workflow.getHandle(p.data.workflowId, p.data.runId);
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
    async previousReattestation(input: z.input<typeof PreviousReattestationInputSchema>): Promise<Record<string, AttestationResult>> {
      const p = PreviousReattestationInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('previousReattestation', p.error);
      const client = temporalClient(deps, 'previousReattestation');
      let newest: { workflowId: string; runId: string; closeTime: number } | undefined;
      let seen = 0;
      for await (const w of client.workflow.list({ query: "WorkflowType = 'reattestCvms' AND ExecutionStatus = 'Completed'" })) {
        const closeTime = w.closeTime?.getTime() ?? 0;
        if (w.workflowId !== p.data.excludeWorkflowId && (!newest || closeTime > newest.closeTime)) newest = { workflowId: w.workflowId, runId: w.runId, closeTime };
        if (++seen >= 20) break; // visibility lists newest first; a few suffice against ordering ties
      }
      if (!newest) return {};
      const r = (await client.workflow.getHandle(newest.workflowId, newest.runId).result()) as { cvms?: Array<{ provider?: string; cvmId: string; result?: AttestationResult; verified?: boolean }> } | undefined;
      const out: Record<string, AttestationResult> = {};
      for (const c of r?.cvms ?? []) out[`${c.provider ?? 'prism'}/${c.cvmId}`] = c.result ?? (c.verified ? 'verified' : 'failed');
      return out;
    },


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
        // The memo is never decoded: one this worker cannot decode (another codec key) does not stop the scan.
        const r = workflowRecord(await decodeExecution(raw, client.options.loadedDataConverter, client.options.namespace, 'skip'));
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
