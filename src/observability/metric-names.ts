// cvmflow's own metrics, named once: the workflow interceptor, the activity interceptor, the provider
// request observer, the teardown gauges, the Runtime's histogram buckets and the Grafana dashboard all use
// these names. Pure constants, so workflow code may import them.

export const METRICS = {
  /** Counter: lifecycle runs that ended, by provider and outcome (plus the SDK's workflowType, taskQueue and namespace tags). */
  lifecycleRuns: 'cvmflow_lifecycle_runs_total',
  /** Histogram (seconds): from the run's start to its end, by provider and outcome. */
  lifecycleDuration: 'cvmflow_lifecycle_duration_seconds',
  /** Counter: provider HTTP requests, by provider, endpoint template, status class and error kind. */
  providerRequests: 'cvmflow_provider_requests_total',
  /** Histogram (seconds): provider request latency, by provider, endpoint template and status class. */
  providerRequestDuration: 'cvmflow_provider_request_duration_seconds',
  /** Gauge: CVMs by provider and state, as the last `collectCvmStatistics` run saw them. */
  cvms: 'cvmflow_cvms',
  /** Gauge: CVMs of the last `collectCvmStatistics` run by provider and statistics result. */
  cvmStatistics: 'cvmflow_cvm_statistics',
  /** Counter: attestation verdicts by platform and result (verified / failed / undetermined). */
  attestationVerdicts: 'cvmflow_attestation_verdicts_total',
  /** Gauge: `teardownCvm` runs still running on the worker's task queue. */
  teardownsPending: 'cvmflow_teardowns_pending',
  /** Gauge: of those, the ones whose `CvmTeardownAt` has passed. */
  teardownsOverdue: 'cvmflow_teardowns_overdue',
  /** Gauge, always 1: the worker's deployment version (tags deployment, build_id, versioning on/off). */
  workerBuildInfo: 'cvmflow_worker_build_info',
} as const;

/** Histogram buckets (seconds) for the Runtime's Prometheus exporter; its defaults are for milliseconds. */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRICS.lifecycleDuration]: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 7 * 24 * 3600],
  [METRICS.providerRequestDuration]: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
};

/** `2xx` … `5xx`, or `none` when no response arrived. */
export function statusClass(status: number | undefined): string {
  return status === undefined ? 'none' : `${Math.floor(status / 100)}xx`;
}
