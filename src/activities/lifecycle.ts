// Activities the lifecycle workflows need beyond the endpoint wrappers: one durable wait that asks each
// provider's own state description, env encryption with secrets resolved on the worker, and attestation.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { EnvVarRefSchema, ProviderSchema, type Provider } from '../contract/common';
import { gatherCollateral, type CollateralOptions } from '../attestation/collateral';
import { verifyEvidence } from '../attestation';
import type { CudoClient } from '../providers/cudo/client';
import { classifyCudoGone, classifyCudoVm, CUDO_WORKFLOW_ID, hasCvmflowMark } from '../contract/rules/cudo';
import { decideWait, type CvmObservation } from '../contract/rules/cvm';
import { PROVIDER_PROFILES } from '../contract/rules/profiles';
import { isProviderError } from '../providers/http/errors';
import type { PhalaClient } from '../providers/phala/client';
import { encryptEnvForApp } from '../providers/phala/encrypt-env';
import { lookAtPhalaCvm } from '../providers/phala/states';
import { HEX32_PATTERN } from '../contract/rules/phala';
import type { PrismClient } from '../providers/prism/client';
import { prismLifecycle } from '../contract/rules/prism';
import { activitySignal, callProvider, invalidInputFailure, providerFailure } from './provider-failure';
import { FailureTypes } from '../contract/failures';
import { DurationHistory, expectedIntervalRequests, MIN_SAMPLES, planLearnedLooks, type WaitSample } from './poll-plan';

export type { CvmObservation, CvmStateClass } from '../contract/rules/cvm';

export const AwaitCvmStateInputSchema = z.object({
  provider: ProviderSchema,
  cvmId: z.string().min(1),
  target: z.enum(['running', 'stopped', 'gone', 'evidence-ready']),
  pollIntervalMs: z.number().int().min(50).max(300_000),
  /** When set, the interval grows by half each poll up to this cap (capped backoff). */
  maxPollIntervalMs: z.number().int().min(50).max(600_000).optional(),
  /**
   * Expected provider requests for the whole wait once recent waits of this kind are known (looks are then
   * placed where readiness is likely). Absent: what the interval schedule would cost for those waits.
   */
  requestBudget: z.number().min(1).max(10_000).optional(),
});

export interface LifecycleActivityDependencies {
  phala?: PhalaClient;
  prism?: PrismClient;
  cudo?: CudoClient;
  resolveSecret?: (ref: string) => Promise<string>;
  /** The sandbox AMD root, trusted only when Prism is simulated by this worker's own sandbox. */
  sandboxAttestationRoot?: () => string | undefined;
  collateral?: Pick<CollateralOptions, 'cacheDir' | 'allowNetwork'>;
  /** Recent wait durations per provider, target and machine kind (default: one per activity set, in process). */
  waitHistory?: DurationHistory;
}

function missing(provider: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `provider ${provider} is not configured on this worker`, type: FailureTypes.ProviderNotConfigured, nonRetryable: true });
}

/** One look at a CVM, and the kind of machine it is: boots of one kind take about as long. */
interface Look {
  observation: CvmObservation;
  /** Provider-specific: Phala instance type, vCPUs and node; Prism backend, platform and vCPUs; CUDO data center, machine type and vCPUs. */
  kind: string;
  /**
   * When the provider says the operation under way began (epoch ms, its clock): Phala's `progress.started_at`,
   * Prism's `created_at` while it is still Creating or Starting. CUDO's createTime has whole seconds only.
   */
  startedAt?: number;
}

function instant(v: unknown): number | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

const part = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

/** How one provider's CVM is looked at: its client's get call, read into the common observation shape. */
interface Observer {
  look(deps: LifecycleActivityDependencies, cvmId: string, signal: AbortSignal): Promise<Look>;
  /** What a 404 says beyond `gone`, where the provider's rules describe it. */
  goneDetail?: () => string;
}

/** Each provider's observer: the one place the lifecycle activities choose a provider's call. */
const OBSERVERS: Record<Provider, Observer> = {
  phala: {
    async look(deps, cvmId, signal) {
      if (!deps.phala) throw missing('phala');
      const raw = await deps.phala.getCvm({ id: cvmId }, { signal });
      const { cvm: s, kind, startedAt } = lookAtPhalaCvm(raw);
      const r = raw as Record<string, unknown> & { app_url?: unknown };
      return {
        observation: {
          provider: 'phala',
          cvmId,
          class: s.phase,
          status: s.status,
          // at rest: nothing in progress, in an end state (a committed CVM shows `stopped` before it starts)
          settled: !s.inProgress && s.phase !== 'transitional' && s.phase !== 'unknown',
          evidenceReady: false,
          ...(s.bootError ? { detail: s.bootError } : {}),
          facts: { ref: s.ref, appId: s.appId, vmUuid: s.vmUuid, inProgress: s.inProgress, composeHash: s.composeHash, appUrl: typeof r.app_url === 'string' ? r.app_url : null },
        },
        kind,
        startedAt,
      };
    },
  },
  prism: {
    async look(deps, cvmId, signal) {
      if (!deps.prism) throw missing('prism');
      const cvm = await deps.prism.getCvm({ id: cvmId }, { signal });
      const l = prismLifecycle(cvm);
      return {
        observation: { provider: 'prism', cvmId, class: l.class, status: l.status, settled: l.terminal, evidenceReady: l.evidenceReady, facts: { name: cvm.name ?? null, agentUrl: (cvm.agent_url as string | undefined) ?? null } },
        kind: `${part(cvm.provider)}/${part(cvm.cc_platform)}/${part(cvm.vcpus)}`,
        startedAt: /^(creating|starting)$/i.test(l.status) ? instant(cvm.created_at) : undefined,
      };
    },
  },
  cudo: {
    async look(deps, cvmId, signal) {
      if (!deps.cudo) throw missing('cudo');
      const vm = (await deps.cudo.getVm({ id: cvmId }, { signal })).VM;
      const c = classifyCudoVm(vm);
      const v = vm as Record<string, unknown>;
      const metadata = v.metadata as Record<string, string> | null | undefined;
      return {
        observation: {
          provider: 'cudo',
          cvmId,
          class: c.class,
          status: c.state ?? c.shortState ?? 'UNKNOWN',
          settled: c.settled,
          evidenceReady: false,
          detail: c.description,
          facts: {
            publicIpAddress: (v.publicIpAddress as string) || (v.externalIpAddress as string) || null,
            internalIpAddress: (v.internalIpAddress as string) || null,
            dataCenterId: (v.datacenterId as string) || null,
            // cvmflow's ownership mark in the VM's metadata (what a teardown by hand must see before it deletes)
            cvmflowMark: hasCvmflowMark(metadata),
            cvmflowWorkflowId: metadata?.[CUDO_WORKFLOW_ID] ?? null,
          },
        },
        kind: `${part(v.datacenterId)}/${part(v.machineType)}/${part(v.vcpus)}`,
      };
    },
    goneDetail: () => classifyCudoGone().description,
  },
};

async function look(deps: LifecycleActivityDependencies, provider: Provider, cvmId: string, signal: AbortSignal): Promise<Look> {
  const observer = OBSERVERS[provider];
  try {
    return await observer.look(deps, cvmId, signal);
  } catch (err) {
    if (!isProviderError(err) || err.kind !== 'not_found') throw err;
    const gone: CvmObservation = { provider, cvmId, class: 'gone', status: '404', settled: true, evidenceReady: false, facts: {} };
    return { observation: observer.goneDetail ? { ...gone, detail: observer.goneDetail() } : gone, kind: '?' };
  }
}

async function observe(deps: LifecycleActivityDependencies, provider: Provider, cvmId: string, signal: AbortSignal): Promise<CvmObservation> {
  return (await look(deps, provider, cvmId, signal)).observation;
}

/**
 * The learned looks (ms after the wait began) once `samples` are enough, else none (the interval schedule).
 * The budget counts the looks already made; by default it is what the interval schedule costs these samples.
 */
function planLooks(samples: readonly WaitSample[], elapsedMs: number, looksMade: number, intervalMs: number, maxIntervalMs: number | undefined, requestBudget: number | undefined): number[] {
  if (samples.length < MIN_SAMPLES) return [];
  const budget = requestBudget ?? looksMade + expectedIntervalRequests(samples, elapsedMs, intervalMs, maxIntervalMs);
  return planLearnedLooks({ samples, elapsedMs, budget: budget - looksMade, intervalMs }).looks;
}

export function createLifecycleActivities(deps: LifecycleActivityDependencies) {
  const waitHistory = deps.waitHistory ?? new DurationHistory();
  return {
    /** One look at a CVM; a 404 is an observation (`gone`), not an error. */
    async observeCvm(input: { provider: Provider; cvmId: string }): Promise<CvmObservation> {
      const p = z.object({ provider: ProviderSchema, cvmId: z.string().min(1) }).safeParse(input);
      if (!p.success) throw invalidInputFailure('observeCvm', p.error);
      try {
        return await observe(deps, p.data.provider, p.data.cvmId, activitySignal());
      } catch (err) {
        throw isProviderError(err) ? providerFailure(err) : err;
      }
    },

    /**
     * Polls until the CVM reaches the target state, heartbeating each observation (a worker that dies is
     * noticed by the heartbeat timeout and another attempt resumes). The provider's waiter table decides each
     * look (decideWait): a failed CVM, one gone while we wait for it to run, or one settled in a state that will
     * not lead to the target by itself (CUDO SUSPENDED, Prism Offline) fails at once, non-retryably, with the
     * state named. Transient provider errors are retried in place; the scheduleToClose timeout is the deadline.
     * The first look is at once; the next ones follow the interval schedule until this worker has seen a few
     * waits of the same kind (provider, target, machine kind; else of any kind of that provider and target),
     * then they are placed where those waits ended, within `requestBudget` expected requests (default: what the
     * interval schedule would have cost them).
     */
    async awaitCvmState(input: z.input<typeof AwaitCvmStateInputSchema>): Promise<CvmObservation> {
      const p = AwaitCvmStateInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('awaitCvmState', p.error);
      const { provider, cvmId, target, maxPollIntervalMs, requestBudget } = p.data;
      const ctx = Context.current();
      // a later attempt keeps the first attempt's start, so what it learns is the whole wait
      const resumed = (ctx.info.heartbeatDetails as { since?: unknown } | undefined)?.since;
      let since = typeof resumed === 'number' && resumed <= Date.now() ? resumed : Date.now();
      let pollIntervalMs = p.data.pollIntervalMs;
      let looks = 0;
      let anchored = false;
      let lastPending: number | undefined;
      let planned: number[] | undefined;
      /** Sleeps until `at` (epoch ms), heartbeating at least once per interval so the heartbeat timeout holds. */
      const sleepUntil = async (at: number, details: object) => {
        for (let left = at - Date.now(); left > 0; left = at - Date.now()) {
          await ctx.sleep(Math.min(left, p.data.pollIntervalMs));
          if (at - Date.now() > 0) ctx.heartbeat(details);
        }
      };
      for (;;) {
        let l: Look;
        try {
          looks++;
          l = await look(deps, provider, cvmId, ctx.cancellationSignal);
        } catch (err) {
          if (!isProviderError(err)) throw err;
          if (!err.retryable) throw providerFailure(err);
          ctx.heartbeat({ error: err.message, since });
          await ctx.sleep(Math.max(pollIntervalMs, err.retryAfterMs ?? 0));
          continue;
        }
        const o = l.observation;
        // the wait's clock starts when the provider says the operation began, if it says so (a wait that
        // starts late, e.g. after Phala's state stream gave up, still places its looks right)
        if (!anchored && resumed === undefined && l.startedAt !== undefined && Math.abs(Date.now() - l.startedAt) < 86_400_000) since = l.startedAt;
        anchored = true;
        const details = { status: o.status, class: o.class, since };
        const decision = decideWait(PROVIDER_PROFILES[provider].waiter, target, o);
        const key = `${provider}/${target}/${l.kind}`;
        const anyKind = `${provider}/${target}/*`;
        if (decision.kind === 'reached') {
          // seen pending before: it got there between the last two looks
          const now = Date.now();
          if (lastPending !== undefined) waitHistory.recordWait([key, anyKind], since, lastPending, now);
          return o;
        }
        if (decision.kind === 'failed') throw ApplicationFailure.create({ message: decision.message, type: decision.type, nonRetryable: true, details: [o] });
        // Only a wait that goes on heartbeats: one that ends at this look would send a heartbeat no one reads (with
        // it, a wait ending at its first look took about 2.7 ms longer, measured over 60 CUDO lifecycles each way).
        ctx.heartbeat(details);
        lastPending = Date.now();
        if (!planned) {
          // a kind seen too rarely yet borrows what every kind of this provider did
          planned = planLooks(waitHistory.samplesOr(key, anyKind), lastPending - since, looks, p.data.pollIntervalMs, maxPollIntervalMs, requestBudget);
        }
        const next = planned.shift();
        if (next !== undefined) {
          await sleepUntil(since + next, details);
          continue;
        }
        await sleepUntil(Date.now() + pollIntervalMs, details);
        if (maxPollIntervalMs) pollIntervalMs = Math.min(maxPollIntervalMs, Math.round(pollIntervalMs * 1.5));
      }
    },

    /** Resolves the env references on the worker and encrypts them to the CVM's key: only ciphertext leaves. */
    async phalaEncryptEnv(input: { publicKey: string; env: Array<z.input<typeof EnvVarRefSchema>> }): Promise<{ encryptedEnv: string; envKeys: string[] }> {
      const schema = z.object({ publicKey: z.string().regex(HEX32_PATTERN, 'expected a 32-byte X25519 public key in hex'), env: z.array(EnvVarRefSchema).min(1) });
      return callProvider('phalaEncryptEnv', schema, input, async (i) => {
        if (!deps.resolveSecret) throw ApplicationFailure.create({ message: 'phalaEncryptEnv: this worker has no secret resolver', type: FailureTypes.SecretUnavailable, nonRetryable: true });
        const env = [];
        for (const e of i.env) env.push({ key: e.key, value: await deps.resolveSecret(e.secretRef) });
        return encryptEnvForApp(i.publicKey.replace(/^0x/, ''), env);
      });
    },

    /**
     * Verifies Prism evidence against a policy at the workflow's time. Certificates missing from the evidence
     * come from the collateral cache (or the vendors, when allowed). Returns the verdict, passing or not.
     */
    async verifyCvmAttestation(input: { evidenceBase64: string; policyBase64?: string; policyJson?: string; at: string }) {
      const schema = z.object({ evidenceBase64: z.string().min(1, 'no evidence'), policyBase64: z.string().optional(), policyJson: z.string().optional(), at: z.iso.datetime({ offset: true }) });
      const p = schema.safeParse(input);
      if (!p.success) throw invalidInputFailure('verifyCvmAttestation', p.error);
      const evidence = Buffer.from(p.data.evidenceBase64, 'base64');
      const policy = p.data.policyJson ?? (p.data.policyBase64 ? Buffer.from(p.data.policyBase64, 'base64').toString('utf8') : undefined);
      const { collateral } = await gatherCollateral(evidence, { ...deps.collateral, at: new Date(p.data.at) });
      const root = deps.sandboxAttestationRoot?.();
      const verdict = verifyEvidence({ evidence, policy, collateral, at: p.data.at, trust: root ? { extraArks: [root], allowSandbox: true } : {} });
      return JSON.parse(JSON.stringify(verdict)) as typeof verdict;
    },
  };
}
