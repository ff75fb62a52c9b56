// Attestation verdicts as metrics, counted around the verification activities by an activity interceptor,
// so the activities stay as they are. `verified`: the verdict passed; `failed`: a check failed (the only
// verdict that may lead to deletion); `undetermined`: no check failed but nothing was proven, or the
// attempt ended without a verdict (missing collateral, bad evidence). A cancelled attempt is not counted.
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { METRICS } from './metric-names';

/** The verification activities, by their naming convention (`verifyCvmAttestation`, `verifyPhalaAttestation`, …). */
export const ATTESTATION_ACTIVITY = /^verify\w*Attestation$/;

export type VerdictResult = 'verified' | 'failed' | 'undetermined';

interface VerdictLike {
  verified?: unknown;
  platform?: unknown;
  checks?: Array<{ result?: unknown }>;
}

/** How a verification activity's result is counted. */
export function classifyVerdict(result: unknown): { platform: string; result: VerdictResult } {
  if (typeof result !== 'object' || result === null) return { platform: 'unknown', result: 'undetermined' };
  const v = result as VerdictLike;
  const platform = typeof v.platform === 'string' && v.platform ? v.platform : 'unknown';
  if (v.verified === true) return { platform, result: 'verified' };
  const failedCheck = Array.isArray(v.checks) && v.checks.some((c) => c?.result === 'fail');
  return { platform, result: failedCheck ? 'failed' : 'undetermined' };
}

export const attestationVerdictInterceptor: ActivityInterceptorsFactory = (ctx: Context) => {
  if (!ATTESTATION_ACTIVITY.test(ctx.info.activityType)) return {};
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const count = (v: { platform: string; result: VerdictResult }) => {
        try {
          ctx.metricMeter.createCounter(METRICS.attestationVerdicts, 'verdicts', 'Attestation verdicts by platform and result').add(1, v);
        } catch (err) {
          ctx.log.warn('cvmflow metrics: verdict not counted', { error: (err as Error)?.message });
        }
      };
      try {
        const result = await next(input);
        count(classifyVerdict(result));
        return result;
      } catch (error) {
        if (!ctx.cancellationSignal.aborted) count({ platform: 'unknown', result: 'undetermined' });
        throw error;
      }
    },
  };
  return { inbound };
};
