import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('an empty environment gives the embedded defaults', () => {
  const c = loadConfig({});
  expect(c.temporal.address).toBeUndefined();
  expect(c.temporal.namespace).toBe('default');
  expect(c.taskQueue).toBe('cvmflow');
  expect(c.devServer).toEqual({ dataDir: '.temporal', port: 7233, uiPort: 8233 });
  expect(c.sandbox.mode).toBe('auto');
  expect(c.providers.phala).toEqual({ url: undefined, token: undefined });
});

test('every bad variable gets its own line naming it and what is expected', () => {
  const lines = problems({
    TEMPORAL_ADDRESS: 'not a host:port/x',
    CVMFLOW_MAX_CONCURRENT_ACTIVITIES: 'many',
    CVMFLOW_LOG_LEVEL: 'loud',
    CVMFLOW_DEV_SERVER_PORT: '70000',
    PHALA_API_URL: 'ftp://phala',
    CVMFLOW_SHUTDOWN_GRACE: 'soon',
  });
  expect(lines).toHaveLength(6);
  const by = (name: string) => lines.filter((l) => l.startsWith(`${name}:`));
  expect(by('TEMPORAL_ADDRESS')[0]).toMatch(/expected host:port/);
  expect(by('CVMFLOW_MAX_CONCURRENT_ACTIVITIES')[0]).toMatch(/whole number.*got "many"/);
  expect(by('CVMFLOW_LOG_LEVEL')[0]).toMatch(/trace, debug, info, warn, error, fatal/);
  expect(by('CVMFLOW_DEV_SERVER_PORT')[0]).toMatch(/1-65535/);
  expect(by('PHALA_API_URL')[0]).toMatch(/http\(s\) URL/);
  expect(by('CVMFLOW_SHUTDOWN_GRACE')[0]).toMatch(/duration/);
});

test('secret values never appear in error messages', () => {
  const secret = 'sk-live-9f8e7d6c5b4a';
  let message = '';
  try {
    loadConfig({ PHALA_API_KEY: secret, CUDO_API_KEY: secret, PRISM_TOKEN: secret, PRISM_API_URL: 'https://prism.example/backends' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/PHALA_API_URL: required when PHALA_API_KEY is set/);
  expect(message).toMatch(/CUDO_API_URL: required when CUDO_API_KEY is set/);
  expect(message).toMatch(/PRISM_DOMAIN_ID: required when PRISM_API_URL is set/);
  expect(message).not.toContain(secret);
});

test('an invalid secret is reported without echoing it', () => {
  const lines = problems({ TEMPORAL_API_KEY: '', PHALA_API_URL: 'https://cloud-api.phala.com/api/v1', PHALA_API_KEY_FILE: '/nonexistent/key' });
  expect(lines).toEqual([expect.stringMatching(/^PHALA_API_KEY_FILE: cannot read \/nonexistent\/key \(ENOENT\)/)]);
});

test('secrets can come from *_FILE variables and URLs lose their trailing slash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'key'), 'phala-secret\n');
  const c = loadConfig({ PHALA_API_URL: 'https://cloud-api.phala.com/api/v1/', PHALA_API_KEY_FILE: join(dir, 'key') });
  expect(c.providers.phala).toEqual({ url: 'https://cloud-api.phala.com/api/v1', token: 'phala-secret' });
});

test('setting both a secret and its _FILE is ambiguous', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'key'), 'x');
  expect(problems({ CUDO_API_KEY: 'a', CUDO_API_KEY_FILE: join(dir, 'key') })).toContainEqual('CUDO_API_KEY and CUDO_API_KEY_FILE are both set: set only one of them');
});

test('a real cluster and real providers are read as given', () => {
  const c = loadConfig({
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    TEMPORAL_NAMESPACE: 'cvm-prod',
    CVMFLOW_TASK_QUEUE: 'cvmflow-prod',
    CVMFLOW_MAX_CONCURRENT_ACTIVITIES: '20',
    CUDO_API_URL: 'https://rest.compute.cudo.org',
    CUDO_API_KEY: 'k',
    CUDO_PROJECT_ID: 'my-project',
    CVMFLOW_SHUTDOWN_GRACE: '1m',
  });
  expect(c.temporal).toEqual({ address: 'temporal.internal:7233', namespace: 'cvm-prod', apiKey: undefined });
  expect(c.worker.maxConcurrentActivityTaskExecutions).toBe(20);
  expect(c.worker.shutdownGraceTimeMs).toBe(60_000);
  expect(c.providers.cudo).toEqual({ url: 'https://rest.compute.cudo.org', token: 'k', projectId: 'my-project' });
});

test('the sandbox is on by default for the embedded server and off for a real cluster unless asked for', () => {
  expect(loadConfig({}).sandbox.mode).toBe('auto');
  expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).sandbox.mode).toBe('off');
  expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', CVMFLOW_SANDBOX: 'auto' }).sandbox.mode).toBe('auto');
});

// Observability: the teardown gauges' interval and the OTLP endpoints are checked with the rest.
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
