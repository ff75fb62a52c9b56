// The typed client other services use to drive cvmflow through Temporal. Imports only the contract and
// @temporalio/client: no activities, providers, sandbox or worker code.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import type { z } from 'zod';
import { codecKeyRingFromEnv, loadCodecKeyRing, type CodecKeyRing } from '../codec/key-ring';
import { codecDataConverter } from '../codec/payload-codec';
import { resolveTemporalEnv } from '../common/temporal-env';
import { describeIssues, type Provider } from '../contract/common';
import { CreateCudoVmInputSchema, type CreateCudoVmInput, type CreateCudoVmResult } from '../contract/cudo';
import { DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from '../contract/defaults';
import {
  CollectCvmStatisticsInputSchema,
  ReattestCvmsInputSchema,
  ReconcileFleetInputSchema,
  type CollectCvmStatisticsInput,
  type CollectCvmStatisticsResult,
  type CvmflowWorkflowRecord,
  type ReattestCvmsInput,
  type ReattestCvmsResult,
  type ReconcileFleetInput,
  type ReconcileFleetResult,
} from '../contract/fleet';
import { OperateCvmInputSchema, type OperateCvmInput, type OperateCvmResult } from '../contract/operate';
import { ProvisionPhalaCvmInputSchema, submitOnChainTransactionUpdate, SubmitOnChainTransactionSchema, type ProvisionPhalaCvmInput, type ProvisionPhalaCvmResult, type SubmitOnChainTransaction } from '../contract/phala';
import { CreateAttestedPrismCvmInputSchema, type CreateAttestedPrismCvmInput, type CreateAttestedPrismCvmResult } from '../contract/prism';
import { CvmId, CvmName, CvmProvider, CvmStatus } from '../contract/search-attributes';
import { statusQuery, type CvmWorkflowStatus } from '../contract/status';
import { cancelTeardownSignal, CancelTeardownSchema, ExtendTeardownSchema, extendTeardownUpdate, TeardownCvmInputSchema, type TeardownCvmInput, type TeardownCvmResult } from '../contract/teardown';
import { clientTracing, inSpan, type Tracing } from '../observability/tracing';
import { decodeExecution, workflowRecord } from './workflow-record';
import { LIFECYCLE_TYPES, lifecycleWorkflowId, operateWorkflowId, scheduleWorkflowId, teardownWorkflowId, WORKFLOW_TYPES } from '../contract/workflow-ids';
import type { WorkflowFn, WorkflowResult, WorkflowType } from '../contract/workflows';

/** A bad input, found before anything reached Temporal. `issues` are "field: message" texts. */
export class CvmflowInputError extends Error {
  constructor(
    readonly workflowType: string,
    readonly issues: string,
  ) {
    super(`${workflowType}: invalid input: ${issues}`);
    this.name = 'CvmflowInputError';
  }
}

/** Validates an input with a shared schema: the parsed value, or a CvmflowInputError naming each field. */
export function validateInput<S extends z.ZodType>(workflowType: string, schema: S, input: unknown): z.output<S> {
  const p = schema.safeParse(input ?? {});
  if (!p.success) throw new CvmflowInputError(workflowType, describeIssues(p.error));
  return p.data;
}

/**
 * What a start did. Starting is idempotent on the deterministic workflow id:
 * - `started`: no run with this id was running or had completed; a new run started.
 * - `attached`: a run with this id is running; its handle is returned, nothing new started.
 * - `already-completed`: a run with this id completed successfully; it is not started again and its handle
 *   is returned (its `result()` is that run's result). A failed, cancelled, terminated or timed-out run does
 *   not block a new start. (Teardowns: a completed one does not block a new one, see startTeardownCvm.)
 */
export type StartOutcome = 'started' | 'attached' | 'already-completed';

export interface Started<R> {
  workflowId: string;
  runId: string | undefined;
  outcome: StartOutcome;
  handle: WorkflowHandle;
  result(): Promise<R>;
}

export interface StartOptions {
  /** Overrides the deterministic workflow id (not recommended: it is what makes starts idempotent). */
  workflowId?: string;
  taskQueue?: string;
  staticSummary?: string;
  staticDetails?: string;
}

export interface CvmflowClientOptions {
  taskQueue?: string;
}

/** Where a client connects when neither options, environment nor a Temporal profile name an address. */
export const DEFAULT_ADDRESS = '127.0.0.1:7233';

export interface ConnectOptions extends CvmflowClientOptions {
  /** host:port; default TEMPORAL_ADDRESS, else the Temporal profile's address, else 127.0.0.1:7233. */
  address?: string;
  /** Default TEMPORAL_NAMESPACE, else the profile's namespace, else `default`. */
  namespace?: string;
  /** Profile of the Temporal config file (default TEMPORAL_PROFILE, else `default`); TLS and API key come from it. */
  profile?: string;
  /** The Temporal config file (default TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml). */
  configFile?: string;
  /** Payload codec keys (default the file named by CVMFLOW_CODEC_KEYS_FILE; none: no encryption). */
  codecKeys?: CodecKeyRing | string;
  /** Environment to read instead of process.env. */
  env?: Record<string, string | undefined>;
  connectTimeout?: import('@temporalio/common').Duration;
}

export interface ListFilter {
  provider?: Provider;
  /** A workflow execution status (`running`, `completed`, `failed`, `terminated`, `canceled`, `timed_out`)
   * or else a provider status word (e.g. `ACTIVE`, `Online`), matched against the CvmStatus attribute. */
  status?: string;
  /** The CVM name (CUDO: the vmId). */
  name?: string;
  /** Workflow types; default every CVM workflow type. */
  types?: string[];
  limit?: number;
}

export const EXECUTION_STATUSES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  timed_out: 'TimedOut',
  timedout: 'TimedOut',
  continued_as_new: 'ContinuedAsNew',
};

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query for a list filter (also what `temporal workflow list --query` takes). */
export function listQuery(filter: ListFilter = {}): string {
  const types = filter.types ?? [...Object.values(LIFECYCLE_TYPES), WORKFLOW_TYPES.teardownCvm, WORKFLOW_TYPES.operateCvm];
  const parts = [`WorkflowType IN (${types.map(quote).join(', ')})`];
  if (filter.provider) parts.push(`${CvmProvider.name} = ${quote(filter.provider)}`);
  if (filter.name) parts.push(`${CvmName.name} = ${quote(filter.name)}`);
  if (filter.status) {
    const exec = EXECUTION_STATUSES[filter.status.toLowerCase()];
    parts.push(exec ? `ExecutionStatus = ${quote(exec)}` : `${CvmStatus.name} = ${quote(filter.status)}`);
  }
  return parts.join(' AND ');
}

export interface CvmWorkflowSummary extends CvmflowWorkflowRecord {
  providerStatus: string | null;
  /** The lifecycle's `labels` (its memo); empty when none were given. */
  labels: Record<string, string>;
}

function summarize(w: Omit<WorkflowExecutionInfo, 'raw'>): CvmWorkflowSummary {
  const labels = (w.memo as { labels?: Record<string, string> } | undefined)?.labels;
  return { ...workflowRecord(w), providerStatus: w.typedSearchAttributes.get(CvmStatus) ?? null, labels: labels && typeof labels === 'object' ? labels : {} };
}

/** One start, typed by the workflow function behind `workflowType`: a changed input fails to compile here. */
interface StartSpec<T extends WorkflowType> {
  workflowType: T;
  workflowId: string;
  args: Parameters<WorkflowFn<T>>;
  summary: string;
  searchAttributes: Array<{ key: typeof CvmProvider | typeof CvmName | typeof CvmId; value: string }>;
  /** Teardowns: a completed run (e.g. a cancelled one) does not block a new request. */
  rerunCompleted?: boolean;
}

export class CvmflowClient {
  readonly taskQueue: string;
  private ownConnection?: Connection;
  private tracing?: Tracing;

  constructor(
    readonly temporal: Client,
    opts: CvmflowClientOptions = {},
  ) {
    this.taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
  }

  /**
   * Connects to Temporal: options, then environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...), then the Temporal
   * profile, then defaults, as the `temporal` CLI does; payloads are encrypted when codec keys are configured.
   */
  static async connect(opts: ConnectOptions = {}): Promise<CvmflowClient> {
    const env = opts.env ?? process.env;
    const t = resolveTemporalEnv(opts, env, { address: DEFAULT_ADDRESS, namespace: DEFAULT_NAMESPACE });
    const keys = typeof opts.codecKeys === 'string' ? loadCodecKeyRing(opts.codecKeys) : (opts.codecKeys ?? codecKeyRingFromEnv(env));
    const connection = await Connection.connect({ ...t.connection, address: t.address, connectTimeout: opts.connectTimeout ?? '5s' });
    const traced = await clientTracing(); // only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    const client = new Client({ connection, namespace: t.namespace, dataConverter: codecDataConverter(keys), interceptors: traced?.interceptors });
    const c = new CvmflowClient(client, { taskQueue: opts.taskQueue ?? env.CVMFLOW_TASK_QUEUE });
    c.ownConnection = connection;
    c.tracing = traced?.tracing;
    return c;
  }

  /** Closes the connection when `connect` opened it. */
  async close(): Promise<void> {
    await this.tracing?.flush();
    await this.ownConnection?.close();
  }

  // --- starting -------------------------------------------------------------------------------------------

  async startProvisionPhalaCvm(input: ProvisionPhalaCvmInput, opts?: StartOptions): Promise<Started<ProvisionPhalaCvmResult>> {
    const p = validateInput(WORKFLOW_TYPES.provisionPhalaCvm, ProvisionPhalaCvmInputSchema, input);
    return this.start({
      workflowType: WORKFLOW_TYPES.provisionPhalaCvm,
      workflowId: lifecycleWorkflowId('phala', p.name),
      args: [input],
      summary: `Provision Phala CVM ${p.name} (KMS ${p.kms.type}${p.ttl ? `, ttl ${fmtMs(p.ttl)}` : ''})`,
      searchAttributes: [
        { key: CvmProvider, value: 'phala' },
        { key: CvmName, value: p.name },
      ],
    }, opts);
  }

  async startCreateAttestedPrismCvm(input: CreateAttestedPrismCvmInput, opts?: StartOptions): Promise<Started<CreateAttestedPrismCvmResult>> {
    const p = validateInput(WORKFLOW_TYPES.createAttestedPrismCvm, CreateAttestedPrismCvmInputSchema, input);
    return this.start({
      workflowType: WORKFLOW_TYPES.createAttestedPrismCvm,
      workflowId: lifecycleWorkflowId('prism', p.name),
      args: [input],
      summary: `Create attested Prism CVM ${p.name} (${p.backend}, ${p.vcpu} vCPU, ${p.ccPlatform}${p.ttl ? `, ttl ${fmtMs(p.ttl)}` : ''})`,
      searchAttributes: [
        { key: CvmProvider, value: 'prism' },
        { key: CvmName, value: p.name },
      ],
    }, opts);
  }

  async startCreateCudoVm(input: CreateCudoVmInput, opts?: StartOptions): Promise<Started<CreateCudoVmResult>> {
    const p = validateInput(WORKFLOW_TYPES.createCudoVm, CreateCudoVmInputSchema, input);
    return this.start({
      workflowType: WORKFLOW_TYPES.createCudoVm,
      workflowId: lifecycleWorkflowId('cudo', p.vmId),
      args: [input],
      summary: `Create CUDO VM ${p.vmId} (${p.vcpus} vCPU, ${p.memoryGib} GiB, ${p.dataCenterId}${p.ttl ? `, ttl ${fmtMs(p.ttl)}` : ''})`,
      searchAttributes: [
        { key: CvmProvider, value: 'cudo' },
        { key: CvmName, value: p.vmId },
        { key: CvmId, value: p.vmId },
      ],
    }, opts);
  }

  /**
   * Starts (or attaches to the running) teardown of the CVM, `teardown/<provider>/<name or id>`. Unlike the
   * lifecycles, a completed teardown does not block a new one: a teardown that was cancelled must not stop a
   * later request, and one after a deletion ends at once with `already-gone`.
   */
  async startTeardownCvm(input: TeardownCvmInput, opts?: StartOptions): Promise<Started<TeardownCvmResult>> {
    const p = validateInput(WORKFLOW_TYPES.teardownCvm, TeardownCvmInputSchema, input);
    const key = teardownKey(p.provider, p.cvmName, p.cvmId);
    return this.start({
      workflowType: WORKFLOW_TYPES.teardownCvm,
      workflowId: teardownWorkflowId(p.provider, key),
      args: [input],
      summary: `Tear down ${p.provider} CVM ${key} ${p.teardownAt ? `at ${p.teardownAt}` : 'now'} (${p.reason})`,
      searchAttributes: [
        { key: CvmProvider, value: p.provider },
        ...(p.cvmName ? [{ key: CvmName, value: p.cvmName }] : p.provider === 'cudo' && p.cvmId ? [{ key: CvmName, value: p.cvmId }] : []),
        ...(p.cvmId ? [{ key: CvmId, value: p.cvmId }] : []),
      ],
      rerunCompleted: true,
    }, opts);
  }

  /** Starts a day-2 action. Without `requestId` each call is a new request; with one, a repeat attaches. */
  async startOperateCvm(input: OperateCvmInput, opts?: StartOptions): Promise<Started<OperateCvmResult>> {
    const p = validateInput(WORKFLOW_TYPES.operateCvm, OperateCvmInputSchema, input);
    const requestId = p.requestId ?? randomUUID().slice(0, 12);
    return this.start({
      workflowType: WORKFLOW_TYPES.operateCvm,
      workflowId: operateWorkflowId(p.provider, p.cvmId, p.action, requestId),
      args: [{ ...input, requestId }],
      summary: `${p.action} ${p.provider} CVM ${p.cvmId} (by ${p.requestedBy}${p.reason ? `: ${p.reason}` : ''})`,
      searchAttributes: [
        { key: CvmProvider, value: p.provider },
        { key: CvmId, value: p.cvmId },
      ],
    }, opts);
  }

  /** Fleet workflows run on Schedules; these start one run by hand (id `manual/<type>/<time>` unless given). */
  async startReconcileFleet(input: ReconcileFleetInput = {}, opts?: StartOptions): Promise<Started<ReconcileFleetResult>> {
    validateInput(WORKFLOW_TYPES.reconcileFleet, ReconcileFleetInputSchema, input);
    return this.start({ workflowType: WORKFLOW_TYPES.reconcileFleet, workflowId: manualId(WORKFLOW_TYPES.reconcileFleet), args: [input], summary: 'Reconcile the fleet (manual run)', searchAttributes: [] }, opts);
  }

  async startCollectCvmStatistics(input: CollectCvmStatisticsInput = {}, opts?: StartOptions): Promise<Started<CollectCvmStatisticsResult>> {
    validateInput(WORKFLOW_TYPES.collectCvmStatistics, CollectCvmStatisticsInputSchema, input);
    return this.start({ workflowType: WORKFLOW_TYPES.collectCvmStatistics, workflowId: manualId(WORKFLOW_TYPES.collectCvmStatistics), args: [input], summary: 'Collect CVM statistics (manual run)', searchAttributes: [] }, opts);
  }

  async startReattestCvms(input: ReattestCvmsInput = {}, opts?: StartOptions): Promise<Started<ReattestCvmsResult>> {
    validateInput(WORKFLOW_TYPES.reattestCvms, ReattestCvmsInputSchema, input);
    return this.start({ workflowType: WORKFLOW_TYPES.reattestCvms, workflowId: manualId(WORKFLOW_TYPES.reattestCvms), args: [input], summary: 'Re-attest running Prism and Phala CVMs (manual run)', searchAttributes: [] }, opts);
  }

  /** One span around the look and the start: with tracing on, the lifecycle's trace starts here. */
  private start<T extends WorkflowType>(spec: StartSpec<T>, opts: StartOptions = {}): Promise<Started<WorkflowResult<T>>> {
    const workflowId = opts.workflowId ?? spec.workflowId;
    return inSpan(`cvmflow start ${spec.workflowType}`, { temporalWorkflowId: workflowId }, () => this.startOrAttach(spec, workflowId, opts));
  }

  private async startOrAttach<T extends WorkflowType>(spec: StartSpec<T>, workflowId: string, opts: StartOptions): Promise<Started<WorkflowResult<T>>> {
    const existing = await this.describeOrUndefined(workflowId);
    let outcome: StartOutcome;
    let handle: WorkflowHandle<WorkflowFn<T>>;
    let runId = existing?.runId;
    if (existing?.status.name === 'COMPLETED' && !spec.rerunCompleted) {
      outcome = 'already-completed';
      handle = this.temporal.workflow.getHandle<WorkflowFn<T>>(workflowId, existing.runId);
    } else {
      try {
        const started = await this.temporal.workflow.start(spec.workflowType, {
          workflowId,
          taskQueue: opts.taskQueue ?? this.taskQueue,
          args: spec.args,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: spec.rerunCompleted ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
          staticSummary: opts.staticSummary ?? spec.summary,
          ...(opts.staticDetails ? { staticDetails: opts.staticDetails } : {}),
          ...(spec.searchAttributes.length ? { typedSearchAttributes: spec.searchAttributes } : {}),
        });
        outcome = existing?.status.name === 'RUNNING' ? 'attached' : 'started';
        // The start's handle, typed by the workflow function (it follows the run chain from its first run).
        handle = this.temporal.workflow.getHandle<WorkflowFn<T>>(workflowId, undefined, { firstExecutionRunId: started.firstExecutionRunId });
        runId = started.firstExecutionRunId;
      } catch (err) {
        // Completed between our look and the start: the completed run stands.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        outcome = 'already-completed';
        handle = this.temporal.workflow.getHandle<WorkflowFn<T>>(workflowId);
      }
    }
    return { workflowId, runId, outcome, handle, result: () => handle.result() };
  }

  private async describeOrUndefined(workflowId: string) {
    try {
      return await this.temporal.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  // --- handles, results, status ---------------------------------------------------------------------------

  getHandle(workflowId: string, runId?: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(workflowId, runId);
  }

  /** The lifecycle workflow of a CVM: `cvm/<provider>/<name>` (CUDO: the vmId). */
  lifecycleHandle(provider: Provider, nameOrVmId: string): WorkflowHandle {
    return this.getHandle(lifecycleWorkflowId(provider, nameOrVmId));
  }

  teardownHandle(provider: Provider, key: string): WorkflowHandle<WorkflowFn<'teardownCvm'>> {
    return this.temporal.workflow.getHandle<WorkflowFn<'teardownCvm'>>(teardownWorkflowId(provider, key));
  }

  /** The result of a run of `workflowType`, typed by its workflow function (a run of another type is refused). */
  async result<T extends WorkflowType>(workflowType: T, workflowId: string): Promise<WorkflowResult<T>> {
    const handle = this.temporal.workflow.getHandle<WorkflowFn<T>>(workflowId);
    const { type } = await handle.describe();
    if (type !== workflowType) throw new Error(`${workflowId} is a ${type} run, not ${workflowType}`);
    return handle.result();
  }


  /** The `status` query: lifecycle step, provider status, history of steps (needs a worker polling). */
  async status(workflowId: string): Promise<CvmWorkflowStatus> {
    return this.getHandle(workflowId).query(statusQuery);
  }

  /** The execution as visibility sees it (works without a worker). */
  async describe(workflowId: string): Promise<CvmWorkflowSummary> {
    return summarize(await this.getHandle(workflowId).describe());
  }

  /**
   * Visibility records matching the filter. A record whose memo this client cannot decode (written with a codec key
   * it does not hold) is still listed, without its labels, rather than failing the whole listing.
   */
  async list(filter: ListFilter = {}): Promise<CvmWorkflowSummary[]> {
    const out: CvmWorkflowSummary[] = [];
    const limit = filter.limit ?? 1000;
    const { namespace, loadedDataConverter } = this.temporal.options;
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await this.temporal.workflowService.listWorkflowExecutions({ namespace, query: listQuery(filter), pageSize: Math.min(1000, limit), nextPageToken });
      for (const raw of res.executions) {
        out.push(summarize(await decodeExecution(raw, loadedDataConverter, namespace, 'if-decodable')));
        if (out.length >= limit) return out;
      }
      nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    } while (nextPageToken);
    return out;
  }

  // --- messages -------------------------------------------------------------------------------------------

  /** Hands the on-chain KMS registration to a waiting `provisionPhalaCvm` (an update: answers or rejects). */
  async submitOnChainTransaction(name: string, tx: SubmitOnChainTransaction, opts: { updateId?: string } = {}): Promise<{ accepted: true; composeHash: string }> {
    const p = validateInput('submitOnChainTransaction', SubmitOnChainTransactionSchema, tx);
    return this.lifecycleHandle('phala', name).executeUpdate(submitOnChainTransactionUpdate, { args: [p], updateId: opts.updateId ?? `tx-${p.transactionHash}` });
  }

  /** Moves a scheduled teardown (`key`: Phala/Prism name or CUDO vmId). */
  async extendTeardown(provider: Provider, key: string, teardownAt: string | Date): Promise<{ teardownAt: string }> {
    const p = validateInput('extendTeardown', ExtendTeardownSchema, { teardownAt: teardownAt instanceof Date ? teardownAt.toISOString() : teardownAt });
    return this.teardownHandle(provider, key).executeUpdate(extendTeardownUpdate, { args: [p] });
  }

  /** Cancels a scheduled teardown: it completes with outcome `cancelled`, the CVM keeps running. */
  async cancelTeardown(provider: Provider, key: string, reason?: string): Promise<void> {
    const p = validateInput('cancelTeardown', CancelTeardownSchema, reason !== undefined ? { reason } : {});
    await this.teardownHandle(provider, key).signal(cancelTeardownSignal, p);
  }
}

/** The key of a teardown id: Phala/Prism name when given, else the id. */
export function teardownKey(provider: Provider, cvmName: string | undefined, cvmId: string | undefined): string {
  return provider === 'cudo' ? cvmId! : (cvmName ?? cvmId!);
}

function manualId(type: string): string {
  return `manual/${type}/${new Date().toISOString()}`;
}

function fmtMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export { scheduleWorkflowId };

// Free functions for callers that hold a plain Temporal Client.
export const startProvisionPhalaCvm = (client: Client, input: ProvisionPhalaCvmInput, opts?: StartOptions & CvmflowClientOptions) => new CvmflowClient(client, opts).startProvisionPhalaCvm(input, opts);
export const startCreateAttestedPrismCvm = (client: Client, input: CreateAttestedPrismCvmInput, opts?: StartOptions & CvmflowClientOptions) => new CvmflowClient(client, opts).startCreateAttestedPrismCvm(input, opts);
export const startCreateCudoVm = (client: Client, input: CreateCudoVmInput, opts?: StartOptions & CvmflowClientOptions) => new CvmflowClient(client, opts).startCreateCudoVm(input, opts);
export const startTeardownCvm = (client: Client, input: TeardownCvmInput, opts?: StartOptions & CvmflowClientOptions) => new CvmflowClient(client, opts).startTeardownCvm(input, opts);
export const startOperateCvm = (client: Client, input: OperateCvmInput, opts?: StartOptions & CvmflowClientOptions) => new CvmflowClient(client, opts).startOperateCvm(input, opts);
