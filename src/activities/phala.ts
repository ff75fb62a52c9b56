// Phala Cloud activities: one per documented endpoint, plus the two attestation endpoints beyond the docs. Inputs
// are validated with zod; outputs are plain, secret-free summaries (no env values, no API key); attestations are
// returned as the provider sent them (public evidence, checked by verifyPhalaAttestation). phalaWatchCvmState
// heartbeats and resumes.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { isProviderError, ProviderError } from '../providers/http/errors';
import type { PhalaClient } from '../providers/phala/client';
import type { PhalaAppAttestations, PhalaCvmAttestation } from '../providers/phala/attestation-schemas';
import { CVM_REF_MESSAGE, CvmRefShape, canonicalAppId, hasCvmRef, type CvmRefObject } from '../providers/phala/identifiers';
import { CommitCvmRequestSchema, KMS_TYPES, ComposeFileSchema, type PhalaCvmState, type PhalaKmsInfo } from '../providers/phala/schemas';
import { lookAtPhalaCvm, summarizeCvm, type PhalaCvmLook, type PhalaCvmSummary } from '../providers/phala/states';
import { classifyPhalaStatus, statusMatches, type PhalaPhase } from '../contract/rules/phala';
import { callProvider, heartbeat } from './provider-failure';
import { FailureTypes } from '../contract/failures';
import { DurationHistory, expectedIntervalRequests, MIN_SAMPLES, planLearnedLooks } from './poll-plan';

const RefInput = z.object(CvmRefShape).refine(hasCvmRef, { message: CVM_REF_MESSAGE });
type RefInputT = z.infer<typeof RefInput>;

function refOf(i: RefInputT): CvmRefObject {
  const { id, cvm_id, uuid, app_id, instance_id, name } = i;
  return { id, cvm_id, uuid, app_id, instance_id, name };
}

export const PhalaListCvmsInput = z
  .object({ page: z.number().int().positive().optional(), page_size: z.number().int().positive().max(100).optional(), node_id: z.number().int().nonnegative().optional() })
  .default({});
export const PhalaProvisionCvmInput = z.looseObject({
  name: z.string(),
  compose_file: ComposeFileSchema,
  vcpu: z.number().int().positive().optional(),
  memory: z.number().int().positive().optional(),
  disk_size: z.number().int().positive().optional(),
  instance_type: z.string().optional(),
  teepod_id: z.number().int().nonnegative().optional(),
  node_id: z.number().int().nonnegative().optional(),
  image: z.string().optional(),
  kms: z.enum(KMS_TYPES).optional(),
  env_keys: z.array(z.string()).optional(),
});
export const PhalaCommitCvmInput = CommitCvmRequestSchema;
export const PhalaRestartCvmInput = z.object({ ...CvmRefShape, force: z.boolean().optional() }).refine(hasCvmRef, { message: CVM_REF_MESSAGE });
export const PhalaReplicateCvmInput = z.object({ ...CvmRefShape, node_id: z.number().int().nonnegative().optional() }).refine(hasCvmRef, { message: CVM_REF_MESSAGE });
export const PhalaDeleteCvmInput = z.object({ ...CvmRefShape, notFoundOk: z.boolean().default(true) }).refine(hasCvmRef, { message: CVM_REF_MESSAGE });
export const PhalaWatchCvmStateInput = z
  .object({
    ...CvmRefShape,
    target: z.string().min(1),
    /** Server polling interval, 5–30 s. */
    interval: z.number().int().min(5).max(30).default(5),
    /** Overall wait in seconds (10–600), spread over as many streams as drops require. */
    timeout: z.number().int().min(10).max(600).default(300),
    /** Streams reopened after a drop before the attempt fails (retryable; the next attempt resumes). */
    maxReconnects: z.number().int().min(0).max(1000).default(20),
    /** Real ms to wait before reopening a dropped stream. */
    reconnectDelayMs: z.number().int().min(0).max(60_000).default(2_000),
    /**
     * Expected provider requests for the wait (looks and the stream) once recent boots of this machine kind are
     * known. Absent: what Phala's CLI, a look every 2 s, would spend on those boots.
     */
    requestBudget: z.number().min(1).max(10_000).optional(),
  })
  .refine(hasCvmRef, { message: CVM_REF_MESSAGE });

export const PhalaGetAppAttestationsInput = z.object({
  app_id: z.string().refine((v) => canonicalAppId(v) !== undefined, { message: 'app_id must be 40 hex characters (optionally 0x / app_ prefixed)' }),
});

export interface PhalaListCvmsResult {
  items: PhalaCvmSummary[];
  total: number;
  page: number | null;
  pageSize: number | null;
  pages: number | null;
  legacyShape: boolean;
}

export interface PhalaProvisionCvmResult {
  appId: string | null;
  composeHash: string;
  appEnvEncryptPubkey: string | null;
  kmsInfo: PhalaKmsInfo | null;
  kmsId: string | null;
  deviceId: string | null;
  fmspc: string | null;
  osImageHash: string | null;
  nodeId: number | null;
  instanceType: string | null;
  /** True when the app must be registered on-chain before commit (no app_id, and a KMS contract on a chain). */
  onChainKms: boolean;
}

export interface PhalaCommitCvmResult extends PhalaCvmSummary {
  contractAddress: string | null;
  deployerAddress: string | null;
}

export interface PhalaWatchHeartbeat {
  lastStatus: string | null;
  streams: number;
  reconnects: number;
  events: number;
  looks?: number;
  startedAtMs: number;
}

export interface PhalaWatchCvmStateResult {
  outcome: 'complete' | 'timeout';
  target: string;
  status: string;
  phase: PhalaPhase;
  cvm: PhalaCvmSummary;
  streams: number;
  events: number;
  /** GETs placed where recent boots of this machine kind ended (the learned looks). */
  looks: number;
}

/** Failure details of PhalaCvmFailed: what the CVM ended as, no secrets. */
export interface PhalaCvmFailedDetails {
  target: string;
  status: string;
  bootError: string | null;
  name: string | null;
}

function plain<T>(v: T): T {
  return v === undefined || v === null ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

function failedState(target: string, state: Pick<PhalaCvmState, 'status' | 'boot_error' | 'name'>): ApplicationFailure {
  const details: PhalaCvmFailedDetails = { target, status: state.status, bootError: state.boot_error ?? null, name: state.name ?? null };
  return ApplicationFailure.create({
    type: FailureTypes.PhalaCvmFailed,
    message: `CVM ${state.name ?? ''} reached ${state.status} while waiting for ${target}${state.boot_error ? `: ${state.boot_error}` : ''}`.replace('  ', ' '),
    nonRetryable: true,
    details: [details],
  });
}

function isFailure(state: Pick<PhalaCvmState, 'status' | 'boot_error'>, target: string): boolean {
  return !statusMatches(state.status, target) && classifyPhalaStatus({ status: state.status, bootError: state.boot_error }) === 'failed';
}

function resumeDetails(): PhalaWatchHeartbeat | undefined {
  try {
    const d = Context.current().info.heartbeatDetails as PhalaWatchHeartbeat | undefined;
    return d && typeof d.startedAtMs === 'number' ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Phala's CLI waits with a look every 2 s: by default the learned looks spend what it would. */
const CLI_POLL_MS = 2_000;

export interface PhalaActivityOptions {
  /** Recent wait durations per target and machine kind, shared with awaitCvmState (default: one per activity set). */
  waitHistory?: DurationHistory;
}

export function createPhalaActivities(client: PhalaClient, opts: PhalaActivityOptions = {}) {
  /** One GET of the CVM: its summary, and what the learned looks need (machine kind, when the operation began). */
  const lookAt = async (ref: CvmRefObject, signal: AbortSignal) => lookAtPhalaCvm(await client.getCvm(ref, { signal }));
  const summary = async (ref: CvmRefObject, signal: AbortSignal) => (await lookAt(ref, signal)).cvm;
  const waitHistory = opts.waitHistory ?? new DurationHistory();

  return {
    async phalaListCvms(input: z.input<typeof PhalaListCvmsInput> = {}): Promise<PhalaListCvmsResult> {
      return callProvider('phalaListCvms', PhalaListCvmsInput, input, async (i, signal) => {
        const list = await client.listCvms(i, { signal });
        return { items: list.items.map(summarizeCvm), total: list.total, page: list.page ?? null, pageSize: list.page_size ?? null, pages: list.pages ?? null, legacyShape: list.legacy };
      });
    },

    async phalaGetCvm(input: z.input<typeof RefInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaGetCvm', RefInput, input, (i, signal) => summary(refOf(i), signal));
    },

    async phalaProvisionCvm(input: z.input<typeof PhalaProvisionCvmInput>): Promise<PhalaProvisionCvmResult> {
      return callProvider('phalaProvisionCvm', PhalaProvisionCvmInput, input, async (i, signal) => {
        const r = await client.provisionCvm(i, { signal });
        const kms = r.kms_info ?? null;
        return {
          appId: r.app_id ?? null,
          composeHash: r.compose_hash,
          appEnvEncryptPubkey: r.app_env_encrypt_pubkey ?? null,
          kmsInfo: plain(kms),
          kmsId: r.kms_id ?? kms?.id ?? null,
          deviceId: r.device_id ?? null,
          fmspc: r.fmspc ?? null,
          osImageHash: r.os_image_hash ?? null,
          nodeId: r.node_id ?? null,
          instanceType: r.instance_type ?? null,
          onChainKms: !r.app_id && !!kms?.chain_id && !!kms.kms_contract_address,
        };
      });
    },

    async phalaCommitCvm(input: z.input<typeof PhalaCommitCvmInput>): Promise<PhalaCommitCvmResult> {
      return callProvider('phalaCommitCvm', PhalaCommitCvmInput, input, async (i, signal) => {
        const r = await client.commitCvm(i, { signal });
        return { ...summarizeCvm(r), contractAddress: r.app_auth_contract_address ?? null, deployerAddress: r.deployer_address ?? null };
      });
    },

    async phalaStartCvm(input: z.input<typeof RefInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaStartCvm', RefInput, input, async (i, signal) => summarizeCvm(await client.startCvm(refOf(i), { signal })));
    },

    async phalaStopCvm(input: z.input<typeof RefInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaStopCvm', RefInput, input, async (i, signal) => summarizeCvm(await client.stopCvm(refOf(i), { signal })));
    },

    async phalaShutdownCvm(input: z.input<typeof RefInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaShutdownCvm', RefInput, input, async (i, signal) => summarizeCvm(await client.shutdownCvm(refOf(i), { signal })));
    },

    async phalaRestartCvm(input: z.input<typeof PhalaRestartCvmInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaRestartCvm', PhalaRestartCvmInput, input, async (i, signal) => summarizeCvm(await client.restartCvm({ ...refOf(i), force: i.force ?? false }, { signal })));
    },

    /** Deletes; a 404 counts as already deleted unless `notFoundOk: false` (notes §7: re-probe before trusting it). */
    async phalaDeleteCvm(input: z.input<typeof PhalaDeleteCvmInput>): Promise<{ deleted: true; alreadyAbsent: boolean }> {
      return callProvider('phalaDeleteCvm', PhalaDeleteCvmInput, input, async (i, signal) => {
        try {
          await client.deleteCvm(refOf(i), { signal });
          return { deleted: true as const, alreadyAbsent: false };
        } catch (err) {
          if (i.notFoundOk && isProviderError(err) && err.kind === 'not_found') return { deleted: true as const, alreadyAbsent: true };
          throw err;
        }
      });
    },

    /** The CVM's attestation as Phala serves it (a stopped CVM answers is_online false): evidence, not a verdict. */
    async phalaGetCvmAttestation(input: z.input<typeof RefInput>): Promise<PhalaCvmAttestation> {
      return callProvider('phalaGetCvmAttestation', RefInput, input, async (i, signal) => plain(await client.getCvmAttestation(refOf(i), { signal })));
    },

    /** Every instance's attestation of an app: evidence, not a verdict. */
    async phalaGetAppAttestations(input: z.input<typeof PhalaGetAppAttestationsInput>): Promise<PhalaAppAttestations> {
      return callProvider('phalaGetAppAttestations', PhalaGetAppAttestationsInput, input, async (i, signal) => plain(await client.getAppAttestations(i.app_id, { signal })));
    },

    async phalaReplicateCvm(input: z.input<typeof PhalaReplicateCvmInput>): Promise<PhalaCvmSummary> {
      return callProvider('phalaReplicateCvm', PhalaReplicateCvmInput, input, async (i, signal) =>
        summarizeCvm(await client.replicateCvm({ ...refOf(i), ...(i.node_id !== undefined ? { node_id: i.node_id } : {}) }, { signal })),
      );
    },

    /**
     * Waits for a target status. Once this worker has seen a few boots of the CVM's machine kind, it first looks
     * (GET) where those boots ended, within `requestBudget`; otherwise, or when those looks are used up, it waits
     * on the SSE state stream (ticks of 5 s or more). Heartbeats every look and event with the last status,
     * reopens the stream after a drop (until complete/timeout, or `maxReconnects`), confirms the stream's final
     * state with a GET, and fails fast (non-retryable PhalaCvmFailed) when the CVM exits or fails instead. Each
     * wait it sees end is recorded for the next ones (shared with awaitCvmState).
     */
    async phalaWatchCvmState(input: z.input<typeof PhalaWatchCvmStateInput>): Promise<PhalaWatchCvmStateResult> {
      return callProvider('phalaWatchCvmState', PhalaWatchCvmStateInput, input, async (i, signal) => {
        const ref = refOf(i);
        const resumed = resumeDetails();
        const hb: PhalaWatchHeartbeat = resumed ? { ...resumed, reconnects: 0, looks: resumed.looks ?? 0 } : { lastStatus: null, streams: 0, reconnects: 0, events: 0, looks: 0, startedAtMs: Date.now() };
        const target = i.target.toLowerCase();
        const keys = (kind: string) => [`phala/${target}/${kind}`, `phala/${target}/*`];
        /** The wait's clock: Phala's `progress.started_at` when a look shows it, else the first attempt's start. */
        let since = hb.startedAtMs;
        /** When this attempt last saw the CVM short of the target (a wait is learned only between two sightings). */
        let pendingAt: number | undefined;
        const result = (outcome: 'complete' | 'timeout', cvm: PhalaCvmSummary): PhalaWatchCvmStateResult =>
          ({ outcome, target: i.target, status: cvm.status, phase: cvm.phase, cvm, streams: hb.streams, events: hb.events, looks: hb.looks ?? 0 });
        const there = (cvm: PhalaCvmSummary) => statusMatches(cvm.status, i.target) && !cvm.inProgress;
        const finish = async (outcome: 'complete' | 'timeout'): Promise<PhalaWatchCvmStateResult> => {
          const l = await lookAt(ref, signal);
          const cvm = l.cvm;
          if (outcome === 'timeout' && isFailure({ status: cvm.status, boot_error: cvm.bootError }, i.target)) throw failedState(i.target, { status: cvm.status, boot_error: cvm.bootError, name: cvm.name });
          if (outcome === 'complete' && there(l.cvm) && pendingAt !== undefined) waitHistory.recordWait(keys(l.kind), since, pendingAt, Date.now());
          return result(outcome, l.cvm);
        };

        /**
         * The learned looks: none until a few waits for this target were seen; then a first look at once (it
         * tells the machine kind), and the next ones where that kind's boots ended. The CVM's summary once it is
         * there; undefined to go on with the stream: the looks are used up, the provider answered with a retryable
         * error, or the CVM failed (`GET /cvms/{id}` has no boot error; the stream's first event names it).
         */
        const lookFirst = async (): Promise<PhalaCvmSummary | undefined> => {
          if (waitHistory.samples(keys('*')[1]!).length < MIN_SAMPLES) return undefined;
          const look = async (): Promise<PhalaCvmLook | undefined> => {
            hb.looks = (hb.looks ?? 0) + 1;
            try {
              const l = await lookAt(ref, signal);
              hb.lastStatus = l.cvm.status;
              heartbeat({ ...hb });
              return isFailure({ status: l.cvm.status, boot_error: l.cvm.bootError }, i.target) ? undefined : l;
            } catch (err) {
              if (isProviderError(err) && err.retryable && !signal.aborted) return undefined;
              throw err;
            }
          };
          const first = await look();
          if (!first || there(first.cvm)) return first?.cvm;
          if (!resumed && first.startedAt !== undefined && Math.abs(Date.now() - first.startedAt) < 86_400_000) since = first.startedAt;
          pendingAt = Date.now();
          const [key, anyKind] = keys(first.kind) as [string, string];
          const samples = waitHistory.samplesOr(key, anyKind);
          const budget = i.requestBudget ?? 1 + expectedIntervalRequests(samples, pendingAt - since, CLI_POLL_MS);
          const plan = planLearnedLooks({ samples, elapsedMs: pendingAt - since, budget: budget - 1, intervalMs: CLI_POLL_MS });
          // The plan's looks, then one every 2 s, while the wait is within the boots seen (+2 s) and at most twice the
          // budget in all (a plan may spread looks far past them for a CVM that never comes); beyond, the stream.
          const horizon = Math.max(...samples.map((w) => (typeof w === 'number' ? w : w.ms))) + CLI_POLL_MS;
          const times = function* () {
            let looks = 1;
            for (const at of plan.looks) {
              if (at > horizon || looks >= 2 * budget) return;
              looks++;
              yield at;
            }
            for (let at = Math.max(Date.now() - since, plan.looks.at(-1) ?? 0) + CLI_POLL_MS; at <= horizon && looks < 2 * budget; at += CLI_POLL_MS, looks++) yield at;
          };
          for (const at of times()) {
            if (since + at > hb.startedAtMs + i.timeout * 1000) return undefined; // past the wait's timeout: the stream's timeout answers
            for (let left = since + at - Date.now(); left > 0 && !signal.aborted; left = since + at - Date.now()) {
              await sleep(Math.min(left, 1_000), signal);
              heartbeat({ ...hb });
            }
            if (signal.aborted) return undefined;
            const l = await look();
            if (!l) return undefined;
            if (there(l.cvm)) {
              waitHistory.recordWait(keys(l.kind), since, pendingAt, Date.now());
              return l.cvm;
            }
            pendingAt = Date.now();
          }
          return undefined;
        };
        const looked = await lookFirst();
        if (looked) return result('complete', looked);
        if (signal.aborted) throw new ProviderError({ kind: 'cancelled', provider: 'phala', endpoint: 'GET /cvms/{id}', message: 'watch cancelled' });

        for (;;) {
          const remaining = i.timeout - (Date.now() - hb.startedAtMs) / 1000;
          if (remaining <= 0) return finish('timeout');
          hb.streams += 1;
          heartbeat({ ...hb });
          try {
            for await (const ev of client.watchCvmState({ ...ref, target: i.target, interval: i.interval, timeout: Math.min(600, Math.max(10, Math.ceil(remaining))) }, { signal })) {
              hb.events += 1;
              if (ev.type === 'state') {
                hb.lastStatus = ev.state.status;
                heartbeat({ ...hb });
                if (isFailure(ev.state, i.target)) throw failedState(i.target, ev.state);
                if (!statusMatches(ev.state.status, i.target)) pendingAt = Date.now();
              } else if (ev.type === 'complete') {
                hb.lastStatus = ev.status;
                heartbeat({ ...hb });
                return await finish('complete');
              } else if (ev.type === 'timeout') {
                heartbeat({ ...hb });
                return await finish('timeout');
              } else {
                // `error` is not terminal (SDK semantics): confirm with a GET; a failed CVM fails fast.
                heartbeat({ ...hb });
                const cvm = await summary(ref, signal);
                hb.lastStatus = cvm.status;
                if (isFailure({ status: cvm.status, boot_error: cvm.bootError }, i.target)) throw failedState(i.target, { status: cvm.status, boot_error: cvm.bootError, name: cvm.name });
              }
            }
          } catch (err) {
            // a stream that breaks (reset, stalled body) is resumed; every other provider error is final here
            if (!(isProviderError(err) && (err.kind === 'network' || err.kind === 'timeout'))) throw err;
          }
          if (signal.aborted) throw new ProviderError({ kind: 'cancelled', provider: 'phala', endpoint: 'GET /cvms/{id}/state', message: 'watch cancelled' });
          hb.reconnects += 1;
          if (hb.reconnects > i.maxReconnects) {
            throw ApplicationFailure.create({ type: FailureTypes.PhalaWatchInterrupted, message: `the state stream dropped ${hb.reconnects} times; retry resumes the wait`, nonRetryable: false, details: [{ ...hb }] });
          }
          heartbeat({ ...hb });
          await sleep(i.reconnectDelayMs, signal);
        }
      });
    },
  };
}

export type PhalaActivities = ReturnType<typeof createPhalaActivities>;
