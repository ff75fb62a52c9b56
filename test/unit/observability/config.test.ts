// The observability variables are validated with the rest of the configuration at start-up.
import { ConfigError, loadConfig } from '../../../src/worker/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('the teardown gauges are counted every minute unless told otherwise', () => {
  expect(loadConfig({}).teardownMetricsIntervalMs).toBe(60_000);
  expect(loadConfig({ CVMFLOW_TEARDOWN_METRICS_INTERVAL: '15s' }).teardownMetricsIntervalMs).toBe(15_000);
});

test('bad values name the variable and what is expected', () => {
  expect(problems({ CVMFLOW_TEARDOWN_METRICS_INTERVAL: 'often', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://x' })).toEqual([
    expect.stringMatching(/^CVMFLOW_TEARDOWN_METRICS_INTERVAL: expected a duration/),
    expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/),
    expect.stringMatching(/^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: expected an http\(s\) URL/),
  ]);
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })).not.toThrow();
});
