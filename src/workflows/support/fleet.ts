// What the fleet workflows share: each provider's CVMs in one shape, cvmflow's records from visibility,
// and a small progress report (status query + UI details) for runs that are about many CVMs.
import { ApplicationFailure, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { fleetStatusQuery, type CvmflowWorkflowRecord, type FleetWorkflowStatus } from '../../contract/fleet';
import { LIFECYCLE_TYPES, parseWorkflowId, WORKFLOW_TYPES } from '../../contract/workflow-ids';
import { describeFailure } from './input';
import type { LifecycleActivities } from './options';
import { providerPort } from './provider-port';
import type { CvmflowWorkflowPage } from '../../activities/fleet';
import { FailureTypes } from '../../contract/failures';
import { boundKeyword } from '../../contract/search-attributes';
import type { CvmObservation } from '../../contract/rules/cvm';

export type InventoryClass = 'running' | 'stopped' | 'gone' | 'failed' | 'transitional' | 'unknown';

/** One CVM at a provider. `key` is what the lifecycle workflow id is made of (Phala/Prism name, CUDO vmId). */
export interface InventoryItem {
  provider: Provider;
  key: string;
  cvmId: string;
  name: string | null;
  class: InventoryClass;
  status: string;
  evidenceReady: boolean;
  /** CUDO: the VM carries cvmflow's managed-by mark. */
  marked: boolean;
  /** CUDO: `cvmflow-expires-at` metadata, when present. */
  expiresAt: string | null;
}

/** Every live (not gone) CVM of a provider, following pagination, in a fixed order (by key, then id). */
export async function inventory(acts: LifecycleActivities, provider: Provider): Promise<InventoryItem[]> {
  const all = await providerPort(provider).list(acts);
  return all.filter((i) => i.class !== 'gone').sort((a, b) => a.key.localeCompare(b.key) || a.cvmId.localeCompare(b.cvmId));
}

/** Whether an activity failed because the worker has no such provider configured (then: skip it). */
export function notConfigured(err: unknown): string | undefined {
  const f = describeFailure(err);
  return f.type === FailureTypes.ProviderNotConfigured ? f.message : undefined;
}

export interface Records {
  /** Latest run of each lifecycle workflow, by `<provider>/<key>`. */
  lifecycles: Map<string, CvmflowWorkflowRecord>;
  /** Latest run of each `teardown/<provider>/<key>` workflow. */
  teardowns: Map<string, CvmflowWorkflowRecord>;
}

/** cvmflow's records: every lifecycle and teardown workflow in visibility, latest run per id, read page by page. */
export async function loadRecords(acts: LifecycleActivities): Promise<Records> {
  const types = [...Object.values(LIFECYCLE_TYPES), WORKFLOW_TYPES.teardownCvm].map((t) => `'${t}'`).join(', ');
  const lifecycles = new Map<string, CvmflowWorkflowRecord>();
  const teardowns = new Map<string, CvmflowWorkflowRecord>();
  await forEachRecord(acts, `WorkflowType IN (${types})`, { latestPerWorkflowId: true }, (r) => {
    const id = parseWorkflowId(r.workflowId);
    if (id?.kind !== 'lifecycle' && id?.kind !== 'teardown') return;
    if (id.kind === 'lifecycle' && r.type !== LIFECYCLE_TYPES[id.provider]) return;
    const map = id.kind === 'lifecycle' ? lifecycles : teardowns;
    const k = `${id.provider}/${id.key}`;
    const prev = map.get(k);
    if (!prev || prev.startTime < r.startTime) map.set(k, r);
  });
  return { lifecycles, teardowns };
}

/** The latest lifecycle record under a listed CVM's key (its name, or CUDO's vmId), whichever CVM it recorded. */
export function lifecycleOf(records: Records, item: Pick<InventoryItem, 'provider' | 'key'>): CvmflowWorkflowRecord | undefined {
  return records.lifecycles.get(`${item.provider}/${item.key}`);
}

/**
 * Whether cvmflow created this CVM, by identity: its lifecycle recorded this very provider id. A same-named CVM
 * (Prism names are shared; a name can be reused after a delete) is not cvmflow's. The one ownership rule of the
 * fleet workflows (reconcileFleet, reattestCvms).
 */
export function isManaged(records: Records, item: Pick<InventoryItem, 'provider' | 'key' | 'cvmId'>): boolean {
  const lifecycle = lifecycleOf(records, item);
  return lifecycle !== undefined && lifecycle.cvmId === item.cvmId;
}

/** The CVM ids the runs of a lifecycle (its workflow id) recorded, newest run first: what cvmflow may call its own. */
export async function recordedCvmIds(acts: LifecycleActivities, workflowId: string): Promise<string[]> {
  const runs: CvmflowWorkflowRecord[] = [];
  await forEachRecord(acts, `WorkflowId = ${visibilityString(workflowId)}`, { latestPerWorkflowId: false }, (r) => {
    if (r.cvmId) runs.push(r);
  });
  return [...new Set(runs.sort((a, b) => b.startTime.localeCompare(a.startTime)).map((r) => r.cvmId!))];
}

/**
 * Whether cvmflow can prove it created this live CVM: a lifecycle of its provider recorded one of its ids (any run),
 * or, where the provider keeps an ownership mark (CUDO's metadata), the CVM carries it. Undefined when proven;
 * otherwise what is missing, in a sentence.
 */
export async function missingOwnershipProof(acts: LifecycleActivities, target: CvmObservation): Promise<string | undefined> {
  const proof = providerPort(target.provider).ownership;
  if (proof.kind === 'mark') return proof.marked(target) ? undefined : `it does not carry cvmflow's ownership mark (${proof.mark} in its metadata)`;
  const ids = [...new Set(proof.ids(target).map(boundKeyword))];
  const anyId = `(${ids.map((id) => `CvmId = ${visibilityString(id)}`).join(' OR ')})`;
  if (await lifecycleRecordedAny(acts, target.provider, anyId)) return undefined;
  if (providerPort(target.provider).actions.replicate && (await replicaRecordedAny(acts, target.provider, anyId))) return undefined;
  return `no cvmflow lifecycle (${LIFECYCLE_TYPES[target.provider]}) or replicate recorded ${ids.length > 1 ? `any of its ids (${ids.join(', ')})` : 'its id'}`;
}

/**
 * Fails (CvmNotRecorded, non-retryable) unless cvmflow can prove it created this CVM (missingOwnershipProof); `what`
 * names what was therefore not done ("Nothing was stopped or deleted"), `advice` what to do instead.
 */
export async function requireOwned(acts: LifecycleActivities, target: CvmObservation, what: string, advice: string, name?: string): Promise<void> {
  const missing = await missingOwnershipProof(acts, target);
  if (!missing) return;
  throw ApplicationFailure.create({
    message: `${target.provider} CVM ${target.cvmId}${name && name !== target.cvmId ? ` (${name})` : ''}, ${target.status}, is not proven cvmflow's: ${missing}. ${what}; ${advice}`,
    type: FailureTypes.CvmNotRecorded,
    nonRetryable: true,
  });
}

/** Whether any run of the provider's lifecycle workflow recorded one of these ids as its `CvmId`. One record suffices. */
async function lifecycleRecordedAny(acts: LifecycleActivities, provider: Provider, anyId: string): Promise<boolean> {
  const page: CvmflowWorkflowPage | CvmflowWorkflowRecord[] = await acts.listCvmflowWorkflows({ query: `WorkflowType = '${LIFECYCLE_TYPES[provider]}' AND ${anyId}`, pageSize: 1, latestPerWorkflowId: false });
  return (Array.isArray(page) ? page : page.records).length > 0;
}

/** Whether an `operateCvm` replicate created one of these ids: its run recorded the replica's id instead of its source's. */
async function replicaRecordedAny(acts: LifecycleActivities, provider: Provider, anyId: string): Promise<boolean> {
  let found = false;
  await forEachRecord(acts, `WorkflowType = '${WORKFLOW_TYPES.operateCvm}' AND CvmProvider = '${provider}' AND ${anyId}`, { latestPerWorkflowId: false }, (r) => {
    const id = parseWorkflowId(r.workflowId);
    if (id?.kind === 'operate' && id.action === 'replicate' && r.cvmId !== null && r.cvmId !== boundKeyword(id.cvmId)) found = true;
  });
  return found;
}

/** Reads a visibility query page by page; each page is one activity result, far below the payload limit. */
async function forEachRecord(acts: LifecycleActivities, query: string, opts: { latestPerWorkflowId: boolean }, each: (r: CvmflowWorkflowRecord) => void): Promise<void> {
  let pageToken: string | undefined;
  do {
    const page: CvmflowWorkflowPage | CvmflowWorkflowRecord[] = await acts.listCvmflowWorkflows({ query, ...opts, ...(pageToken ? { pageToken } : {}) });
    // Histories recorded before paging hold the whole list as one array.
    const records = Array.isArray(page) ? page : page.records;
    records.forEach(each);
    pageToken = Array.isArray(page) ? undefined : (page.nextPageToken ?? undefined);
  } while (pageToken);
}

/** A string literal of the visibility query language. */
function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The step of a fleet run, for the `status` query and the UI. */
export class FleetProgress {
  private readonly status: FleetWorkflowStatus;

  constructor() {
    this.status = { workflowType: workflowInfo().workflowType, step: 'start', history: [] };
    setHandler(fleetStatusQuery, () => this.status);
    this.step('start');
  }

  step(step: string, detail?: string): void {
    this.status.step = step;
    this.status.history.push({ step, at: new Date().toISOString() });
    setCurrentDetails([`**${this.status.workflowType}**`, '', `- step: **${step}**`, ...(detail ? [`- ${detail}`] : []), '', this.status.history.map((h) => `${h.at.slice(11, 19)} ${h.step}`).join(' → ')].join('\n'));
  }
}
