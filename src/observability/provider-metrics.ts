// Provider requests as metrics: the HTTP core's `onRequestDone` observer, recorded on a Temporal metric
// meter (the worker passes `Runtime.instance().metricMeter`, so they share the SDK's Prometheus endpoint).
import type { MetricMeter } from '@temporalio/common';
import type { RequestObserver } from '../providers/http/observe';
import { METRICS, statusClass } from './metric-names';

export function providerRequestMetrics(meter: MetricMeter): RequestObserver {
  const requests = meter.createCounter(METRICS.providerRequests, 'requests', 'Provider API requests by endpoint template, status class and error kind');
  const duration = meter.createHistogram(METRICS.providerRequestDuration, 'float', 's', 'Provider API request latency by endpoint template and status class');
  return (done) => {
    const tags = { provider: done.provider, endpoint: done.endpoint, status_class: statusClass(done.status) };
    requests.add(1, { ...tags, error_kind: done.errorKind ?? 'none' });
    duration.record(done.durationMs / 1000, tags);
  };
}
