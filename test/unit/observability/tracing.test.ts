// Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set: then no tracer provider is
// registered and no OpenTelemetry SDK or exporter module is even loaded, by the client or the worker side.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { TRACE_HEADER as OTEL_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { otlpTracesUrl } from '../../../src/observability/tracing';
import { TRACE_HEADER } from '../../../src/workflows/support/tracing';

const root = resolve(__dirname, '..', '..', '..');

/** Runs in a plain Node process (TypeScript transpiled by a tiny require hook) and reports what it loaded. */
function probe(env: Record<string, string>): { url: string | null; recording: boolean; sdkModules: string[] } {
  const script = `
    const ts = require('typescript');
    const fs = require('node:fs');
    require.extensions['.ts'] = (m, file) => {
      const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
      m._compile(out.outputText, file);
    };
    const { startTracing } = require(${JSON.stringify(resolve(root, 'src', 'observability', 'tracing.ts'))});
    const { observabilityWorkerOptions } = require(${JSON.stringify(resolve(root, 'src', 'observability', 'worker.ts'))});
    (async () => {
      const tracing = await startTracing('probe');
      observabilityWorkerOptions(tracing, false);
      const recording = require('@opentelemetry/api').trace.getTracer('probe').startSpan('probe').isRecording();
      const sdkModules = Object.keys(require.cache).filter((f) => /@opentelemetry[\\\\/](sdk-trace-base|exporter-trace-otlp-http|context-async-hooks)[\\\\/]/.test(f));
      await tracing?.shutdown();
      process.stdout.write(JSON.stringify({ url: tracing ? tracing.url : null, recording, sdkModules }));
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
  `;
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...base, ...env } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { url: string | null; recording: boolean; sdkModules: string[] };
}

test('without an OTLP endpoint: no provider registered, no SDK or exporter module loaded', () => {
  expect(probe({})).toEqual({ url: null, recording: false, sdkModules: [] });
  expect(probe({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual({ url: null, recording: false, sdkModules: [] });
});

test('with one: spans are recorded and go to <endpoint>/v1/traces', () => {
  const on = probe({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/' });
  expect(on).toMatchObject({ url: 'http://127.0.0.1:9/v1/traces', recording: true });
  expect(on.sdkModules.length).toBeGreaterThan(0);
});

test('the endpoint variables as the OpenTelemetry spec reads them', () => {
  expect(otlpTracesUrl({})).toBeUndefined();
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom' })).toBe('http://traces:4318/custom');
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
});

test('workflows look for the trace context under the header Temporal\'s interceptors write', () => {
  expect(TRACE_HEADER).toBe(OTEL_TRACE_HEADER);
});
