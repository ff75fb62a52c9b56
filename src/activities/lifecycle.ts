// Activities the lifecycle workflows need beyond the endpoint wrappers: one durable wait that asks each
// provider's own state description, env encryption with secrets resolved on the worker, and attestation.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { EnvVarRefSchema, ProviderSchema, type Provider } from '../contract/common';
import { gatherCollateral, type CollateralOptions } from '../attestation/collateral';
import { verifyEvidence } from '../attestation';
import type { CudoClient } from '../providers/cudo/client';
import { classifyCudoGone, classifyCudoVm } from '../contract/rules/cudo';
import { decideWait, type CvmObservation } from '../contract/rules/cvm';
import { PROVIDER_PROFILES } from '../contract/rules/profiles';
import { isProviderError } from '../providers/http/errors';
import type { PhalaClient } from '../providers/phala/client';
import { encryptEnvForApp } from '../providers/phala/encrypt-env';
import { summarizeCvm } from '../providers/phala/states';
import { HEX32_PATTERN } from '../contract/rules/phala';
import type { PrismClient } from '../providers/prism/client';
import { prismLifecycle } from '../contract/rules/prism';
import { activitySignal, callProvider, invalidInputFailure, providerFailure } from './provider-failure';
import { FailureTypes } from '../contract/failures';

export type { CvmObservation, CvmStateClass } from '../contract/rules/cvm';

export const AwaitCvmStateInputSchema = z.object({
  provider: ProviderSchema,
  cvmId: z.string().min(1),
  target: z.enum(['running', 'stopped', 'gone', 'evidence-ready']),
  pollIntervalMs: z.number().int().min(50).max(300_000),
  /** When set, the interval grows by half each poll up to this cap (capped backoff). */
  maxPollIntervalMs: z.number().int().min(50).max(600_000).optional(),
});

export interface LifecycleActivityDependencies {
  phala?: PhalaClient;
  prism?: PrismClient;
  cudo?: CudoClient;
  resolveSecret?: (ref: string) => Promise<string>;
  /** The sandbox AMD root, trusted only when Prism is simulated by this worker's own sandbox. */
  sandboxAttestationRoot?: () => string | undefined;
  collateral?: Pick<CollateralOptions, 'cacheDir' | 'allowNetwork'>;
}

function missing(provider: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `provider ${provider} is not configured on this worker`, type: FailureTypes.ProviderNotConfigured, nonRetryable: true });
}

/** How one provider's CVM is looked at: its client's get call, read into the common observation shape. */
interface Observer {
  observe(deps: LifecycleActivityDependencies, cvmId: string, signal: AbortSignal): Promise<CvmObservation>;
  /** What a 404 says beyond `gone`, where the provider's rules describe it. */
  goneDetail?: () => string;
}

/** Each provider's observer: the one place the lifecycle activities choose a provider's call. */
const OBSERVERS: Record<Provider, Observer> = {
  phala: {
    async observe(deps, cvmId, signal) {
      if (!deps.phala) throw missing('phala');
      const raw = await deps.phala.getCvm({ id: cvmId }, { signal });
      const s = summarizeCvm(raw);
      const appUrl = (raw as { app_url?: unknown }).app_url;
      return {
        provider: 'phala',
        cvmId,
        class: s.phase,
        status: s.status,
        // at rest: nothing in progress, in an end state (a committed CVM shows `stopped` before it starts)
        settled: !s.inProgress && s.phase !== 'transitional' && s.phase !== 'unknown',
        evidenceReady: false,
        ...(s.bootError ? { detail: s.bootError } : {}),
        facts: { ref: s.ref, appId: s.appId, vmUuid: s.vmUuid, inProgress: s.inProgress, composeHash: s.composeHash, appUrl: typeof appUrl === 'string' ? appUrl : null },
      };
    },
  },
  prism: {
    async observe(deps, cvmId, signal) {
      if (!deps.prism) throw missing('prism');
      const cvm = await deps.prism.getCvm({ id: cvmId }, { signal });
      const l = prismLifecycle(cvm);
      return { provider: 'prism', cvmId, class: l.class, status: l.status, settled: l.terminal, evidenceReady: l.evidenceReady, facts: { name: cvm.name ?? null, agentUrl: (cvm.agent_url as string | undefined) ?? null } };
    },
  },
  cudo: {
    async observe(deps, cvmId, signal) {
      if (!deps.cudo) throw missing('cudo');
      const vm = (await deps.cudo.getVm({ id: cvmId }, { signal })).VM;
      const c = classifyCudoVm(vm);
      const v = vm as Record<string, unknown>;
      return {
        provider: 'cudo',
        cvmId,
        class: c.class,
        status: c.state ?? c.shortState ?? 'UNKNOWN',
        settled: c.settled,
        evidenceReady: false,
        detail: c.description,
        facts: { publicIpAddress: (v.publicIpAddress as string) || (v.externalIpAddress as string) || null, internalIpAddress: (v.internalIpAddress as string) || null, dataCenterId: (v.datacenterId as string) || null },
      };
    },
    goneDetail: () => classifyCudoGone().description,
  },
};

async function observe(deps: LifecycleActivityDependencies, provider: Provider, cvmId: string, signal: AbortSignal): Promise<CvmObservation> {
  const observer = OBSERVERS[provider];
  try {
    return await observer.observe(deps, cvmId, signal);
  } catch (err) {
    if (!isProviderError(err) || err.kind !== 'not_found') throw err;
    const gone: CvmObservation = { provider, cvmId, class: 'gone', status: '404', settled: true, evidenceReady: false, facts: {} };
    return observer.goneDetail ? { ...gone, detail: observer.goneDetail() } : gone;
  }
}

export function createLifecycleActivities(deps: LifecycleActivityDependencies) {
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
     */
    async awaitCvmState(input: z.input<typeof AwaitCvmStateInputSchema>): Promise<CvmObservation> {
      const p = AwaitCvmStateInputSchema.safeParse(input);
      if (!p.success) throw invalidInputFailure('awaitCvmState', p.error);
      const { provider, cvmId, target, maxPollIntervalMs } = p.data;
      let pollIntervalMs = p.data.pollIntervalMs;
      const ctx = Context.current();
      for (;;) {
        let o: CvmObservation | undefined;
        try {
          o = await observe(deps, provider, cvmId, ctx.cancellationSignal);
        } catch (err) {
          if (!isProviderError(err)) throw err;
          if (!err.retryable) throw providerFailure(err);
          ctx.heartbeat({ error: err.message });
          await ctx.sleep(Math.max(pollIntervalMs, err.retryAfterMs ?? 0));
          continue;
        }
        ctx.heartbeat({ status: o.status, class: o.class });
        const decision = decideWait(PROVIDER_PROFILES[provider].waiter, target, o);
        if (decision.kind === 'reached') return o;
        if (decision.kind === 'failed') throw ApplicationFailure.create({ message: decision.message, type: decision.type, nonRetryable: true, details: [o] });
        await ctx.sleep(pollIntervalMs);
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
