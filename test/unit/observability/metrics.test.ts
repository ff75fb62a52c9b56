// The rules behind cvmflow's metric labels: which runs are lifecycles and of which provider, how a run ended,
// how a verification is counted, the teardown count queries, and bounded, id-free label values.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ContinueAsNew } from '@temporalio/workflow';
import { classifyVerdict, ATTESTATION_ACTIVITY } from '../../../src/observability/attestation-metrics';
import { HISTOGRAM_BUCKETS, METRICS, statusClass } from '../../../src/observability/metric-names';
import { teardownQueries } from '../../../src/observability/teardown-gauges';
import { lifecycleProvider, outcomeOf } from '../../../src/workflows/support/lifecycle-metrics';

test('lifecycle runs are labelled by provider; fleet and ping runs are not lifecycles', () => {
  expect(lifecycleProvider('provisionPhalaCvm', { name: 'x' })).toBe('phala');
  expect(lifecycleProvider('createAttestedPrismCvm', {})).toBe('prism');
  expect(lifecycleProvider('createCudoVm', undefined)).toBe('cudo');
  expect(lifecycleProvider('teardownCvm', { provider: 'cudo', cvmId: 'v' })).toBe('cudo');
  expect(lifecycleProvider('operateCvm', { provider: 'phala' })).toBe('phala');
  // A bad input must not become an unbounded label value.
  expect(lifecycleProvider('operateCvm', { provider: 'a-new-id-every-time-123' })).toBe('unknown');
  expect(lifecycleProvider('teardownCvm', null)).toBe('unknown');
  for (const type of ['reconcileFleet', 'collectCvmStatistics', 'reattestCvms', 'pingCvmflow']) expect(lifecycleProvider(type, { provider: 'cudo' })).toBeUndefined();
});

test('outcome: cancelled (also after compensation), failed, or not ended yet', () => {
  expect(outcomeOf(new CancelledFailure('cancelled'))).toBe('cancelled');
  expect(outcomeOf(ApplicationFailure.create({ message: 'cancelled. compensated: …', type: 'LifecycleCancelled', nonRetryable: true }))).toBe('cancelled');
  expect(outcomeOf(ApplicationFailure.create({ message: 'boom', type: 'AttestationFailed', nonRetryable: true }))).toBe('failed');
  // Continue-as-new and plain errors (a failed workflow task, retried) do not end the run.
  expect(outcomeOf(new ContinueAsNew({} as never))).toBeUndefined();
  expect(outcomeOf(new TypeError('bug'))).toBeUndefined();
});

test('verdicts: verified, failed only when a check failed, otherwise undetermined', () => {
  expect(classifyVerdict({ verified: true, platform: 'sev-snp', checks: [{ result: 'pass' }] })).toEqual({ platform: 'sev-snp', result: 'verified' });
  expect(classifyVerdict({ verified: false, platform: 'tdx', checks: [{ result: 'pass' }, { result: 'fail' }] })).toEqual({ platform: 'tdx', result: 'failed' });
  expect(classifyVerdict({ verified: false, platform: 'sev-snp', checks: [{ result: 'skip' }] })).toEqual({ platform: 'sev-snp', result: 'undetermined' });
  expect(classifyVerdict(undefined)).toEqual({ platform: 'unknown', result: 'undetermined' });
  expect(ATTESTATION_ACTIVITY.test('verifyCvmAttestation')).toBe(true);
  expect(ATTESTATION_ACTIVITY.test('prismGetAttestationPolicy')).toBe(false);
});

test('teardown counts: running teardownCvm runs on the task queue, overdue by CvmTeardownAt', () => {
  const q = teardownQueries('cvm"flow', new Date('2026-01-02T03:04:05.000Z'));
  expect(q.pending).toBe(`WorkflowType IN ('teardownCvm') AND ExecutionStatus = 'Running' AND TaskQueue = "cvm\\"flow"`);
  expect(q.overdue).toBe(`${q.pending} AND CvmTeardownAt < "2026-01-02T03:04:05.000Z"`);
});

test('status classes and histogram buckets (seconds, for the histograms cvmflow records)', () => {
  expect([200, 204, 302, 404, 429, 503, undefined].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', 'none']);
  expect(Object.keys(HISTOGRAM_BUCKETS).sort()).toEqual([METRICS.lifecycleDuration, METRICS.providerRequestDuration].sort());
  for (const buckets of Object.values(HISTOGRAM_BUCKETS)) expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
});
