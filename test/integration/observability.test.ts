// cvmflow's own metrics and traces, end to end: the production worker (a process, as `npm start` runs it)
// with its Prometheus endpoint and OTLP export, the sandboxes as its providers, a traced CvmflowClient in
// this process, and an in-process OTLP receiver. One lifecycle per provider (plus a failed and a cancelled
// one, and a teardown held past its time) must show up in `/metrics` with exactly the right counts, and
// each lifecycle must be one trace from the client's start to its last provider request.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createSandboxAmdChain, issueSandboxSnpEvidence } from '../../src/sandbox/evidence/snp-issuer';
import { CvmflowClient } from '../../src/client/cvmflow-client';
import { METRICS, statusClass } from '../../src/observability/metric-names';
import { startTracing } from '../../src/observability/tracing';
import { workflowSpanSinks } from '../../src/observability/worker';
import { teardownAtQuery } from '../../src/contract/teardown';
import { teardownWorkflowId } from '../../src/contract/workflow-ids';
import { freePort } from '../../src/worker/dev-server';
import { buildIdOfBundleFile } from '../../src/worker/versioning';
import { PRODUCTION_BUNDLE } from '../../src/worker/worker';
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { scrape, sum, type Sample } from '../support/prometheus';
import { connectTestTemporal, testAddress, testBundle, unique, type TestTemporal } from '../support/temporal';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../support/worker-process';

let t: TestTemporal;
let env: LifecycleEnv;
let receiver: OtlpReceiver;
let worker: WorkerProcess;
let client: CvmflowClient;
let metricsUrl: string;
let otlpUrl: string;
let rootFile: string;
const taskQueue = unique('observe');
const TRACE_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY'] as const;

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(50);
  receiver = new OtlpReceiver();
  otlpUrl = await receiver.start();
  rootFile = join(mkdtempSync(join(tmpdir(), 'observe-')), 'sandbox-ark.pem');
  // The sandbox's AMD root (one chain per process, the one the Prism sandbox issues from), trusted by the worker.
  writeFileSync(rootFile, issueSandboxSnpEvidence(await createSandboxAmdChain(), { reportData: Buffer.alloc(64) }).rootPem);
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await startWorkerProcess(
    workerEnv(env, taskQueue, {
      CVMFLOW_TRUST_SANDBOX_ROOT_FILE: rootFile,
      CVMFLOW_METRICS_ADDRESS: `127.0.0.1:${port}`,
      CVMFLOW_TEARDOWN_METRICS_INTERVAL: '300ms',
      // A sticky cache of two for several concurrent runs: runs are evicted and replayed, and must not be counted twice.
      CVMFLOW_MAX_CACHED_WORKFLOWS: '2',
      CVMFLOW_MAX_CONCURRENT_WORKFLOW_TASKS: '2',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    }),
  );
  // This process is a traced client, as another service with the same variables would be.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpUrl;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  client = await CvmflowClient.connect({ address: testAddress(), taskQueue });
});
afterAll(async () => {
  await client?.close();
  for (const k of TRACE_ENV) delete process.env[k];
  await worker?.stop();
  await env?.close();
  await receiver?.close();
  await t?.close();
});

const fast = { pollInterval: '200ms', providerCallTimeout: '20s' };
const dnsName = (prefix: string) => unique(prefix).toLowerCase().replace(/[^a-z0-9-]/g, '');
const cudoSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, activeDeadline: '60s', ...fast });

async function until<T>(what: () => Promise<T | undefined>, label: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Scrapes until `ready` holds (metrics from workflow sinks and in-flight requests arrive a moment later). */
async function scrapeUntil(ready: (s: Sample[]) => boolean, label: string, explain: (s: Sample[]) => string = () => ''): Promise<Sample[]> {
  let last: Sample[] = [];
  return until(async () => ((last = await scrape(metricsUrl)), ready(last) ? last : undefined), label).catch((err: Error) => {
    const mine = last.filter((s) => s.name.startsWith('cvmflow_') && !s.name.endsWith('_bucket'));
    throw new Error(`${err.message}\n${explain(last)}\ncvmflow samples:\n${mine.map((s) => `${s.name} ${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`);
  });
}

/** Requests by provider and endpoint template, status class, and whether the worker cancelled them itself. */
interface RequestCount {
  endpoint: string;
  cls: string;
  cancelled: boolean;
  n: number;
}

/** Provider requests the sandboxes served. */
function servedRequests(): RequestCount[] {
  return (['phala', 'prism', 'cudo'] as const).flatMap((p) =>
    env.sandboxes[p].sandbox.server.requests.map((r) => ({ endpoint: `${p} ${r.endpoint}`, cls: statusClass(r.status > 0 ? r.status : undefined), cancelled: false, n: 1 })),
  );
}

function countedRequests(samples: Sample[]): RequestCount[] {
  return samples
    .filter((x) => x.name === METRICS.providerRequests)
    .map((s) => ({ endpoint: `${s.labels.provider} ${s.labels.endpoint}`, cls: s.labels.status_class!, cancelled: s.labels.error_kind === 'cancelled', n: s.value }));
}

/**
 * Whether the worker's report accounts for exactly what the sandboxes served. Every served request is reported,
 * by endpoint and status class; beyond those, the only reports are of requests the worker cancelled itself (a
 * read cut short when its run left the cache, say), which no sandbox received or answered. Per endpoint:
 * reported − cancelled ≤ served ≤ reported, and per status class the same with the cancelled ones as the slack.
 */
function accountsFor(reported: RequestCount[], served: RequestCount[]): boolean {
  const total = (rs: RequestCount[], e: string, pick: (r: RequestCount) => boolean = () => true) => rs.filter((r) => r.endpoint === e && pick(r)).reduce((a, r) => a + r.n, 0);
  for (const e of new Set([...reported, ...served].map((r) => r.endpoint))) {
    const [r, c, s] = [total(reported, e), total(reported, e, (x) => x.cancelled), total(served, e)];
    if (!(r - c <= s && s <= r)) return false;
    for (const cls of new Set(served.filter((x) => x.endpoint === e && x.cls !== 'none').map((x) => x.cls))) {
      const [rc, sc] = [total(reported, e, (x) => x.cls === cls), total(served, e, (x) => x.cls === cls)];
      if (!(rc <= sc && sc <= rc + c)) return false;
    }
  }
  return true;
}

const sorted = (rs: RequestCount[]) => {
  const m = new Map<string, number>();
  for (const r of rs) {
    const key = `${r.endpoint} ${r.cls}${r.cancelled ? ' (cancelled)' : ''}`;
    m.set(key, (m.get(key) ?? 0) + r.n);
  }
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
};
const runs = (s: Sample[], labels: Record<string, string>) => sum(s, METRICS.lifecycleRuns, { taskQueue: taskQueue, ...labels });
const durations = (s: Sample[], labels: Record<string, string>) => sum(s, `${METRICS.lifecycleDuration}_count`, { taskQueue: taskQueue, ...labels });

const started: Record<'phala' | 'prism' | 'cudo', { workflowId: string; key: string }> = {} as never;
/** When the test had all three results (epoch ns): no request of those lifecycles can end later. */
let resultsAtNs = 0n;

test('one lifecycle per provider, a failed and a cancelled one: /metrics has each metric with the right counts', async () => {
  const phalaName = dnsName('obs-app');
  const prismName = dnsName('obs-cvm');
  const cudoId = dnsName('obs-vm');
  const badName = dnsName('obs-bad');
  const cancelId = dnsName('obs-cancel');
  // Two teardowns parked a day ahead fill the sticky cache of two, so every lifecycle below evicts a run and
  // is replayed later (each query needs its run in the cache: once both answer, both have been cached).
  const sleepers = [dnsName('obs-sleep'), dnsName('obs-sleep')];
  for (const vmId of sleepers) await client.startTeardownCvm({ provider: 'cudo', cvmId: vmId, teardownAt: new Date(Date.now() + 86_400_000).toISOString() });
  for (const vmId of sleepers) await t.client.workflow.getHandle(teardownWorkflowId('cudo', vmId)).query(teardownAtQuery);
  const [phala, prism, cudo] = await Promise.all([
    client.startProvisionPhalaCvm({ name: phalaName, composeFile: 'services: {}\n', runningDeadline: '60s', ...fast }),
    client.startCreateAttestedPrismCvm({ name: prismName, onlineDeadline: '60s', ...fast }),
    client.startCreateCudoVm({ ...cudoSpec(cudoId), ttl: '1h' }),
  ]);
  Object.assign(started, { phala: { workflowId: phala.workflowId, key: phalaName }, prism: { workflowId: prism.workflowId, key: prismName }, cudo: { workflowId: cudo.workflowId, key: cudoId } });
  const [phalaResult, prismResult, cudoResult] = await Promise.all([phala.result(), prism.result(), cudo.result()]);
  resultsAtNs = BigInt(Date.now()) * 1_000_000n;
  expect(prismResult.verdict).toMatchObject({ verified: true, platform: 'sev-snp' });
  expect(cudoResult.teardown).not.toBeNull();

  // A failed lifecycle: the policy does not match the evidence (attestation verdict `failed`, CVM deleted).
  const wrongPolicy = { policy: { measurement: Buffer.alloc(48, 7).toString('base64') }, root_of_trust: { product_line: 'Milan' } };
  const bad = await client.startCreateAttestedPrismCvm({ name: badName, policy: wrongPolicy, onlineDeadline: '60s', ...fast });
  await expect(bad.result()).rejects.toMatchObject({ cause: { type: 'AttestationFailed' } });

  // A cancelled lifecycle: cancelled while its look-before-create is held up at the provider. The look is a local
  // activity, so the cancel reaches the workflow when that task ends, with the create it scheduled on its way: the
  // lifecycle waits for the create, then terminates the VM once it has settled. Counted once; nothing is left.
  env.sandboxes.cudo.sandbox.server.faults.add({ endpoint: 'cudoGetVm', fault: { type: 'latency', ms: 1500 } });
  const cancelled = await client.startCreateCudoVm(cudoSpec(cancelId));
  await until(async () => (env.sandboxes.cudo.sandbox.server.calls('cudoGetVm').some((c) => c.fault === 'latency') ? true : undefined), 'the held-up look');
  await cancelled.handle.cancel();
  await expect(cancelled.result()).rejects.toMatchObject({ cause: { type: 'LifecycleCancelled' } });
  const left = env.sandboxes.cudo.sandbox.vm(cancelId);
  expect(left === undefined || ['DELETING', 'DELETED'].includes(left.state)).toBe(true);

  // Runs and durations by provider, workflow type and outcome (the ttl teardown still runs: not counted).
  const expectedRuns: Array<[Record<string, string>, number]> = [
    [{ provider: 'phala', workflowType: 'provisionPhalaCvm', outcome: 'completed' }, 1],
    [{ provider: 'prism', workflowType: 'createAttestedPrismCvm', outcome: 'completed' }, 1],
    [{ provider: 'prism', workflowType: 'createAttestedPrismCvm', outcome: 'failed' }, 1],
    [{ provider: 'cudo', workflowType: 'createCudoVm', outcome: 'completed' }, 1],
    [{ provider: 'cudo', workflowType: 'createCudoVm', outcome: 'cancelled' }, 1],
  ];
  // Every request the sandboxes served, and no more, is counted (in-flight ones land a moment later).
  const same = (s: Sample[]) => accountsFor(countedRequests(s), servedRequests());
  const diff = (s: Sample[]) => `counted: ${JSON.stringify(sorted(countedRequests(s)))}\nserved:  ${JSON.stringify(sorted(servedRequests()))}`;
  let samples = await scrapeUntil((s) => runs(s, {}) === 5 && same(s), 'runs and requests to be counted', diff);
  for (const [labels, n] of expectedRuns) {
    expect([labels, runs(samples, labels)]).toEqual([labels, n]);
    expect([labels, durations(samples, labels)]).toEqual([labels, n]);
  }
  expect(sum(samples, `${METRICS.lifecycleDuration}_sum`, { taskQueue: taskQueue })).toBeGreaterThan(0);
  // The worker's deployment version: the build id is the production bundle's content.
  expect(sum(samples, METRICS.workerBuildInfo, { taskQueue, build_id: buildIdOfBundleFile(PRODUCTION_BUNDLE), deployment: `cvmflow-${taskQueue}`, versioning: 'on' })).toBe(1);
  // Those counts held while runs were evicted from the cache and replayed (the SDK drops metrics in replay).
  expect(sum(samples, 'temporal_sticky_cache_total_forced_eviction')).toBeGreaterThan(0);

  // Provider requests: by template with status class and error kind, with latency histograms, no raw ids.
  expect(sum(samples, METRICS.providerRequests, { provider: 'cudo', endpoint: 'POST /v1/projects/{projectId}/vm', status_class: '2xx', error_kind: 'none' })).toBe(2); // the lifecycle's, and the cancelled one's (compensated)
  expect(sum(samples, METRICS.providerRequests, { provider: 'cudo', endpoint: 'GET /v1/projects/{projectId}/vms/{id}', status_class: '4xx', error_kind: 'not_found' })).toBe(2); // both looks before create
  expect(sum(samples, `${METRICS.providerRequestDuration}_count`)).toBe(sum(samples, METRICS.providerRequests));
  const labelValues = samples.filter((s) => s.name.startsWith('cvmflow_')).flatMap((s) => Object.values(s.labels));
  for (const id of [phalaName, prismName, cudoId, badName, cancelId, phalaResult.cvmId, prismResult.cvmId]) expect(labelValues.filter((v) => v.includes(id))).toEqual([]);

  // Attestation verdicts by platform and result.
  expect(sum(samples, METRICS.attestationVerdicts, { platform: 'sev-snp', result: 'verified' })).toBe(1);
  expect(sum(samples, METRICS.attestationVerdicts, { platform: 'sev-snp', result: 'failed' })).toBe(1);

  // CVMs by provider and state, from a collectCvmStatistics run.
  const stats = await (await client.startCollectCvmStatistics({ providers: ['prism', 'cudo'] })).result();
  expect(stats.providers).toMatchObject({ prism: { running: 1, skipped: null }, cudo: { running: 1, skipped: null } });
  samples = await scrapeUntil((s) => sum(s, METRICS.cvms, { taskQueue: taskQueue }) === 2, 'the CVM gauges');
  expect(sum(samples, METRICS.cvms, { taskQueue: taskQueue, provider: 'prism', state: 'running' })).toBe(1);
  expect(sum(samples, METRICS.cvms, { taskQueue: taskQueue, provider: 'cudo', state: 'running' })).toBe(1);
  for (const p of ['prism', 'cudo']) {
    const mine = stats.cvms.filter((c) => c.provider === p);
    expect(sum(samples, METRICS.cvmStatistics, { taskQueue: taskQueue, provider: p, result: 'collected' })).toBe(mine.filter((c) => c.error === null && c.samples > 0).length);
    expect(sum(samples, METRICS.cvmStatistics, { taskQueue: taskQueue, provider: p })).toBe(mine.length);
  }

  // Teardowns: the ttl teardown is pending; one held up by its provider past its time is also overdue.
  samples = await scrapeUntil((s) => sum(s, METRICS.teardownsPending, { taskQueue: taskQueue }) === 3, 'three pending teardowns (the ttl one and the two parked)');
  expect(sum(samples, METRICS.teardownsOverdue, { taskQueue: taskQueue })).toBe(0);
  env.sandboxes.phala.sandbox.server.faults.add({ endpoint: 'phalaDeleteCvm', fault: { type: 'latency', ms: 8000 } });
  const teardown = await client.startTeardownCvm({ provider: 'phala', cvmName: phalaName, teardownAt: new Date(Date.now() + 1000).toISOString(), gracefulTimeout: '0s', ...fast });
  samples = await scrapeUntil((s) => sum(s, METRICS.teardownsOverdue, { taskQueue: taskQueue }) === 1, 'the overdue teardown');
  expect(sum(samples, METRICS.teardownsPending, { taskQueue: taskQueue })).toBe(4);
  await expect(teardown.result()).resolves.toMatchObject({ outcome: 'deleted' });
  samples = await scrapeUntil((s) => sum(s, METRICS.teardownsOverdue, { taskQueue: taskQueue }) === 0 && runs(s, { workflowType: 'teardownCvm' }) === 1, 'the teardown to end');
  expect(runs(samples, { provider: 'phala', workflowType: 'teardownCvm', outcome: 'completed' })).toBe(1);
  expect(sum(samples, METRICS.teardownsPending, { taskQueue: taskQueue })).toBe(3);
  for (const vmId of sleepers) await client.cancelTeardown('cudo', vmId, 'observability test done');
});

test('each lifecycle is one trace: client start → workflow → activities → provider HTTP requests', async () => {
  expect(Object.keys(started)).toHaveLength(3);
  await client.close(); // flushes this process's spans (the client's)
  const httpSpans = () => receiver.spans.filter((s) => s.service === 'cvmflow-worker' && typeof s.attributes['cvmflow.provider'] === 'string');
  const spanRequests = (): RequestCount[] =>
    httpSpans().map((s) => {
      const status = s.attributes['http.response.status_code'];
      return { endpoint: `${s.attributes['cvmflow.provider'] as string} ${s.name}`, cls: statusClass(typeof status === 'number' ? status : undefined), cancelled: s.attributes['error.type'] === 'cancelled', n: 1 };
    });
  // Every request the sandboxes served (all made by traced runs) arrives as an HTTP span, and every other one
  // was cancelled by the worker before an answer.
  await until(async () => (accountsFor(spanRequests(), servedRequests()) ? true : undefined), 'one HTTP span per served request').catch((err: Error) => {
    throw new Error(`${err.message}\nspans:  ${JSON.stringify(sorted(spanRequests()))}\nserved: ${JSON.stringify(sorted(servedRequests()))}`);
  });
  const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
  const rootOf = (s: ReceivedSpan): ReceivedSpan => (s.parentSpanId && byId.has(s.parentSpanId) ? rootOf(byId.get(s.parentSpanId)!) : s);
  // The cudo lifecycle's ttl teardown is still waiting: its run span is not ended, so not exported yet.
  const stillRunning = teardownWorkflowId('cudo', started.cudo.key);
  for (const s of httpSpans()) {
    const activity = byId.get(s.parentSpanId!);
    expect([s.name, activity?.name]).toEqual([expect.stringMatching(/^(GET|POST|PUT|PATCH|DELETE) \//), expect.stringMatching(/^RunActivity:/)]);
    if (activity!.attributes.temporalWorkflowId === stillRunning) expect(rootOf(s)).toMatchObject({ name: expect.stringMatching(/^StartActivity:/) });
    else expect(rootOf(s)).toMatchObject({ service: 'cvmflow-client', name: expect.stringMatching(/^cvmflow start /) });
  }

  const traceIds = new Set<string>();
  for (const [provider, { workflowId }] of Object.entries(started)) {
    const roots = receiver.spans.filter((s) => s.name.startsWith('cvmflow start') && s.attributes.temporalWorkflowId === workflowId);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    traceIds.add(root.traceId);
    const spans = receiver.trace(root.traceId);
    const type = root.name.replace('cvmflow start ', '');
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining([`StartWorkflow:${type}`, `RunWorkflow:${type}`, expect.stringMatching(/^StartActivity:/), expect.stringMatching(/^RunActivity:/)]));
    // From the start call to the last provider request: the lifecycle's requests are all in this trace.
    const http = spans.filter((s) => s.attributes['cvmflow.provider'] === provider);
    expect(http.length).toBeGreaterThan(0);
    // (Not against the RunWorkflow span's end: a workflow's clock stands at its task's start while the local
    // activities of that task run, so a run's last reads end after the time its span says it ended.)
    const lastHttpEnd = http.reduce((m, s) => (s.endNs > m ? s.endNs : m), 0n);
    expect(http.every((s) => s.startNs >= root.startNs)).toBe(true);
    expect(lastHttpEnd).toBeLessThanOrEqual(resultsAtNs);
    // Nothing of this workflow is in another trace.
    const elsewhere = receiver.spans.filter((s) => s.traceId !== root.traceId && (s.attributes.temporalWorkflowId === workflowId || s.attributes.workflowId === workflowId));
    expect(elsewhere).toEqual([]);
  }
  expect(traceIds.size).toBe(3);

  // The traced run replays against the current bundle: the tracing interceptors are deterministic.
  const history = await t.client.workflow.getHandle(started.cudo.workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: testBundle(), sinks: workflowSpanSinks() }, history, started.cudo.workflowId);
});

test('without OTEL_EXPORTER_OTLP_ENDPOINT the worker starts no exporter, even for a traced start', async () => {
  const quiet = new OtlpReceiver();
  const url = await quiet.start();
  const otherQueue = unique('untraced');
  const untraced = await startWorkerProcess(workerEnv(env, otherQueue, { OTEL_BSP_SCHEDULE_DELAY: '100' }));
  try {
    await (await startTracing('cvmflow-client'))?.shutdown(); // this process's tracing from the tests above
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = url; // only the client traces
    const traced = await CvmflowClient.connect({ address: testAddress(), taskQueue: otherQueue });
    const vmId = dnsName('obs-untraced');
    await (await traced.startCreateCudoVm(cudoSpec(vmId))).result();
    await traced.close();
    await until(async () => (quiet.spans.length > 0 ? true : undefined), 'the client spans');
    await new Promise((r) => setTimeout(r, 1000));
    expect(new Set(quiet.spans.map((s) => s.service))).toEqual(new Set(['cvmflow-client']));
    expect(untraced.output()).not.toContain('tracing: exporting spans');
    expect(untraced.output()).not.toContain('unregistered external sink');
  } finally {
    await untraced.stop();
    await quiet.close();
  }
});
