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
import { isProviderError } from '../providers/http/errors';
import type { PhalaClient } from '../providers/phala/client';
import { encryptEnvForApp } from '../providers/phala/encrypt-env';
import { summarizeCvm } from '../providers/phala/states';
import { HEX32_PATTERN } from '../contract/rules/phala';
import type { PrismClient } from '../providers/prism/client';
import { prismLifecycle } from '../contract/rules/prism';
import { activitySignal, callProvider, invalidInputFailure, providerFailure } from './provider-failure';
import { FailureTypes } from '../contract/failures';

export type CvmStateClass = 'running' | 'stopped' | 'gone' | 'failed' | 'transitional' | 'unknown';

/** One observation of a CVM, the same shape for every provider: what every wait decides on. */
export interface CvmObservation {
  provider: Provider;
  cvmId: string;
  class: CvmStateClass;
  /** The provider's own word (`starting`, `ACTIVE`, `Online`, `404`). */
  status: string;
  /** Prism: online with boot-time evidence present. */
  evidenceReady: boolean;
  /** Why it failed, when the provider says (Phala boot_error, CUDO state). */
  detail?: string;
  /** A few provider fields worth keeping (ids, addresses); never secrets. */
  facts: Record<string, string | number | boolean | null>;
}

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

async function observe(deps: LifecycleActivityDependencies, provider: Provider, cvmId: string, signal: AbortSignal): Promise<CvmObservation> {
  const gone = (status = '404'): CvmObservation => ({ provider, cvmId, class: 'gone', status, evidenceReady: false, facts: {} });
  try {
    if (provider === 'phala') {
      if (!deps.phala) throw missing(provider);
      const raw = await deps.phala.getCvm({ id: cvmId }, { signal });
      const s = summarizeCvm(raw);
      const appUrl = (raw as { app_url?: unknown }).app_url;
      return {
        provider,
        cvmId,
        class: s.phase,
        status: s.status,
        evidenceReady: false,
        ...(s.bootError ? { detail: s.bootError } : {}),
        facts: { ref: s.ref, appId: s.appId, vmUuid: s.vmUuid, inProgress: s.inProgress, composeHash: s.composeHash, appUrl: typeof appUrl === 'string' ? appUrl : null },
      };
    }
    if (provider === 'prism') {
      if (!deps.prism) throw missing(provider);
      const cvm = await deps.prism.getCvm({ id: cvmId }, { signal });
      const l = prismLifecycle(cvm);
      return { provider, cvmId, class: l.class, status: l.status, evidenceReady: l.evidenceReady, facts: { name: cvm.name ?? null, agentUrl: (cvm.agent_url as string | undefined) ?? null } };
    }
    if (!deps.cudo) throw missing(provider);
    const vm = (await deps.cudo.getVm({ id: cvmId }, { signal })).VM;
    const c = classifyCudoVm(vm);
    const v = vm as Record<string, unknown>;
    return {
      provider,
      cvmId,
      class: c.class,
      status: c.state ?? c.shortState ?? 'UNKNOWN',
      evidenceReady: false,
      detail: c.description,
      facts: { publicIpAddress: (v.publicIpAddress as string) || (v.externalIpAddress as string) || null, internalIpAddress: (v.internalIpAddress as string) || null, dataCenterId: (v.datacenterId as string) || null },
    };
  } catch (err) {
    if (isProviderError(err) && err.kind === 'not_found') return provider === 'cudo' ? { ...gone(), detail: classifyCudoGone().description } : gone();
    throw err;
  }
}

function reached(o: CvmObservation, target: z.infer<typeof AwaitCvmStateInputSchema>['target']): boolean {
  if (target === 'evidence-ready') return o.evidenceReady;
  return o.class === target;
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
     * noticed by the heartbeat timeout and another attempt resumes). A failed CVM, or one gone while we wait
     * for it to run, fails at once and non-retryably. Transient provider errors are retried in place;
     * the workflow's scheduleToClose timeout is the deadline.
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
        if (reached(o, target)) return o;
        if (o.class === 'failed' || (o.class === 'gone' && target !== 'gone')) {
          throw ApplicationFailure.create({
            message: `${provider} CVM ${cvmId} is ${o.status}${o.detail ? ` (${o.detail})` : ''} while waiting for ${target}`,
            type: o.class === 'failed' ? 'CvmFailed' : 'CvmGone',
            nonRetryable: true,
            details: [o],
          });
        }
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
