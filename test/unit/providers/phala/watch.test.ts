// The SSE state watch: the client iterator, range validation, and the heartbeating, resuming activity
// (drop-stream faults, terminal failures, timeouts, deletion mid-watch, resume from heartbeat details).
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPhalaActivities, type PhalaWatchCvmStateResult, type PhalaWatchHeartbeat } from '../../../../src/activities/phala';
import { DurationHistory } from '../../../../src/activities/poll-plan';
import type { PhalaStateEvent } from '../../../../src/providers/phala/schemas';
import { appFailure, createCvm, eventually, providerError, raw, startRig, type Rig } from './helpers';

let rig: Rig;
let acts: ReturnType<typeof createPhalaActivities>;

beforeAll(async () => {
  rig = await startRig({ speed: 100 }); // interval 5 s → 50 ms; boot 45 s → 450 ms
});
afterAll(() => rig.close());
beforeEach(() => {
  rig.sandbox.server.faults.clear();
  rig.sandbox.clock.speed = 100;
  acts = createPhalaActivities(rig.client); // no boots learned yet: every wait is the stream's
});

const ref = (cvm: { vm_uuid?: string | null }) => cvm.vm_uuid!;

test('client: state events every interval, then complete when the target is reached', async () => {
  rig.sandbox.clock.speed = 20; // interval 5 s → 250 ms, boot 45 s → 2.25 s: a loaded machine still sees several events
  const { cvm } = await createCvm(rig.client);
  const events: PhalaStateEvent[] = [];
  for await (const ev of rig.client.watchCvmState({ uuid: ref(cvm), target: 'Running', interval: 5, timeout: 120 })) events.push(ev);
  const states = events.filter((e) => e.type === 'state');
  expect(states.length).toBeGreaterThanOrEqual(3); // 45 s of boot at a 5 s interval: ~9 under no load
  expect(states[0]).toMatchObject({ state: { status: 'starting', boot_progress: 'booting', name: cvm.name } });
  expect(events.at(-1)).toMatchObject({ type: 'complete', status: 'running', target: 'Running' });
  expect((events.at(-1) as { elapsed: number }).elapsed).toBeGreaterThanOrEqual(40);
});

test('interval and timeout ranges: 422 from the server, refused client-side', async () => {
  const { cvm } = await createCvm(rig.client);
  const h = { 'x-api-key': rig.sandbox.apiKey };
  for (const q of ['target=running&interval=4', 'target=running&interval=31', 'target=running&timeout=9', 'target=running&timeout=601', 'interval=5']) {
    const r = await raw(rig.url, `/cvms/${ref(cvm)}/state?${q}`, { headers: h });
    expect(r.status).toBe(422);
    expect(Array.isArray(r.json.detail)).toBe(true);
  }
  const before = rig.sandbox.server.calls('phalaWatchCvmState').length;
  const gen = rig.client.watchCvmState({ uuid: ref(cvm), target: 'running', interval: 2 });
  expect(await providerError(gen.next())).toMatchObject({ kind: 'invalid_request' });
  expect(rig.sandbox.server.calls('phalaWatchCvmState').length).toBe(before);
  const missing = rig.client.watchCvmState({ id: 'cvm_nope', target: 'running' });
  expect(await providerError(missing.next())).toMatchObject({ status: 404, kind: 'not_found', code: 'ERR-03-001' });
});

test('activity: heartbeats each event with the last status and returns the confirmed final state', async () => {
  const { cvm } = await createCvm(rig.client);
  const env = new MockActivityEnvironment();
  const beats: PhalaWatchHeartbeat[] = [];
  env.on('heartbeat', (d: PhalaWatchHeartbeat) => beats.push(d));
  const res: PhalaWatchCvmStateResult = await env.run(acts.phalaWatchCvmState, { uuid: ref(cvm), target: 'running', interval: 5, timeout: 300 });
  expect(res).toMatchObject({ outcome: 'complete', status: 'running', phase: 'running', streams: 1, looks: 0 });
  expect(res.cvm.vmUuid).toBe(cvm.vm_uuid);
  expect(beats.map((b) => b.lastStatus)).toEqual(expect.arrayContaining(['starting', 'running']));
  expect(beats.at(-1)!.events).toBe(res.events);
});

test('drop-stream: the activity reopens the stream until complete', async () => {
  const { cvm } = await createCvm(rig.client);
  rig.sandbox.server.faults.add({ endpoint: 'phalaWatchCvmState', fault: { type: 'drop-stream', afterEvents: 1 }, times: 2 });
  const res = await acts.phalaWatchCvmState({ uuid: ref(cvm), target: 'running', reconnectDelayMs: 10 });
  expect(res).toMatchObject({ outcome: 'complete', status: 'running', streams: 3 });
  expect(rig.sandbox.server.calls('phalaWatchCvmState').filter((c) => c.fault === 'drop-stream')).toHaveLength(2);
});

test('too many drops: a retryable PhalaWatchInterrupted (the retry resumes from heartbeat details)', async () => {
  const { cvm } = await createCvm(rig.client);
  rig.sandbox.server.faults.add({ endpoint: 'phalaWatchCvmState', fault: { type: 'drop-stream', afterEvents: 0 }, times: 0 });
  const f = await appFailure(acts.phalaWatchCvmState({ uuid: ref(cvm), target: 'running', maxReconnects: 2, reconnectDelayMs: 1 }));
  expect(f).toMatchObject({ type: 'PhalaWatchInterrupted', nonRetryable: false });
  expect(f.details?.[0]).toMatchObject({ reconnects: 3, streams: 3, events: 0, lastStatus: null });
});

test('a boot failure ends the wait at once with a non-retryable PhalaCvmFailed', async () => {
  rig.sandbox.failNextBoot({ bootError: 'dstack-prepare: image pull failed' });
  const { cvm } = await createCvm(rig.client);
  const started = Date.now();
  const f = await appFailure(acts.phalaWatchCvmState({ uuid: ref(cvm), target: 'running', timeout: 600 }));
  expect(f).toMatchObject({ type: 'PhalaCvmFailed', nonRetryable: true });
  expect(f.details?.[0]).toEqual({ target: 'running', status: 'exited', bootError: 'dstack-prepare: image pull failed', name: cvm.name });
  expect(Date.now() - started).toBeLessThan(3000);
});

test('server-side timeout: outcome timeout with the current state', async () => {
  const { cvm } = await createCvm(rig.client);
  await eventually(() => rig.sandbox.stateOf(ref(cvm))!.status === 'running', 3000);
  const events: string[] = [];
  for await (const ev of rig.client.watchCvmState({ uuid: ref(cvm), target: 'stopped', interval: 5, timeout: 10 })) events.push(ev.type);
  expect(events.at(-1)).toBe('timeout');
  const res = await acts.phalaWatchCvmState({ uuid: ref(cvm), target: 'stopped', timeout: 10 });
  expect(res).toMatchObject({ outcome: 'timeout', status: 'running', target: 'stopped' });
});

test('a CVM deleted mid-watch: error event, confirmed by GET → ProviderNotFound', async () => {
  rig.sandbox.clock.speed = 10;
  const { cvm } = await createCvm(rig.client);
  const watching = acts.phalaWatchCvmState({ uuid: ref(cvm), target: 'running' });
  await eventually(() => rig.sandbox.server.calls('phalaWatchCvmState').length > 0);
  await rig.client.deleteCvm({ uuid: ref(cvm) });
  expect(await appFailure(watching)).toMatchObject({ type: 'ProviderNotFound', nonRetryable: true });
});

test('resume: heartbeat details carry the start time and counters into the next attempt', async () => {
  const { cvm } = await createCvm(rig.client);
  await eventually(() => rig.sandbox.stateOf(ref(cvm))!.status === 'running', 3000);
  const previous: PhalaWatchHeartbeat = { lastStatus: 'starting', streams: 4, reconnects: 2, events: 9, startedAtMs: Date.now() - 20_000 };
  const env = new MockActivityEnvironment({ heartbeatDetails: previous });
  // the 10 s budget was spent by earlier attempts: no new stream, just the confirming GET
  const before = rig.sandbox.server.calls('phalaWatchCvmState').length;
  const late: PhalaWatchCvmStateResult = await env.run(acts.phalaWatchCvmState, { uuid: ref(cvm), target: 'stopped', timeout: 10 });
  expect(late).toMatchObject({ outcome: 'timeout', streams: 4, events: 9, status: 'running' });
  expect(rig.sandbox.server.calls('phalaWatchCvmState').length).toBe(before);
  // with budget left, it opens stream number 5
  const env2 = new MockActivityEnvironment({ heartbeatDetails: { ...previous, startedAtMs: Date.now() } });
  const res: PhalaWatchCvmStateResult = await env2.run(acts.phalaWatchCvmState, { uuid: ref(cvm), target: 'running', timeout: 60 });
  expect(res).toMatchObject({ outcome: 'complete', streams: 5 });
  expect(res.events).toBeGreaterThan(9);
});

/** Requests the sandbox served for one CVM: GETs of it, and its state streams. */
const servedFor = (uuid: string) => {
  const id = uuid.replace(/-/g, ''); // a UUID goes into the path without its dashes
  return {
    gets: rig.sandbox.server.calls('phalaGetCvm').filter((c) => c.path.endsWith(`/${id}`)).length,
    streams: rig.sandbox.server.calls('phalaWatchCvmState').filter((c) => c.path.endsWith(`/${id}/state`)).length,
  };
};

test('learned looks: after three waits the watch looks where those boots ended, and opens no stream', async () => {
  rig.sandbox.clock.speed = 20; // boot 45 s → 2.25 s; the stream ticks every 250 ms
  const waitHistory = new DurationHistory();
  const learning = createPhalaActivities(rig.client, { waitHistory });
  for (let n = 0; n < 3; n++) {
    const { cvm } = await createCvm(rig.client);
    const res = await learning.phalaWatchCvmState({ uuid: ref(cvm), target: 'running', interval: 5 });
    expect([res.outcome, res.streams, res.looks]).toEqual(['complete', 1, 0]);
  }
  // each stream wait was learned, by machine kind and for any kind, between the last `starting` and `complete`
  expect(waitHistory.samples('phala/running/*')).toHaveLength(3);
  for (const w of waitHistory.samples('phala/running/*') as Array<{ ms: number; resolutionMs: number }>) expect(w.ms).toBeGreaterThan(1_500);

  const { cvm } = await createCvm(rig.client);
  const beats: PhalaWatchHeartbeat[] = [];
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: PhalaWatchHeartbeat) => beats.push(d));
  const res: PhalaWatchCvmStateResult = await env.run(learning.phalaWatchCvmState, { uuid: ref(cvm), target: 'running', interval: 5, requestBudget: 4 });
  expect(res).toMatchObject({ outcome: 'complete', status: 'running', phase: 'running', streams: 0 });
  // every request of this wait was a look (the one that saw it running is the confirmation), at most a handful
  expect(servedFor(ref(cvm))).toEqual({ gets: res.looks, streams: 0 });
  expect(res.looks).toBeGreaterThanOrEqual(2);
  expect(res.looks).toBeLessThanOrEqual(6);
  expect(beats.map((b) => b.lastStatus)).toEqual(expect.arrayContaining(['starting', 'running']));
  expect(waitHistory.samples('phala/running/*')).toHaveLength(4);
});

test('learned looks: a look that sees the boot fail hands over to the stream, which names the boot error at once', async () => {
  const waitHistory = new DurationHistory();
  for (let n = 0; n < 3; n++) waitHistory.record('phala/running/*', 450, 50);
  const learning = createPhalaActivities(rig.client, { waitHistory });
  rig.sandbox.failNextBoot({ bootError: 'dstack-prepare: image pull failed' });
  const { cvm } = await createCvm(rig.client);
  const f = await appFailure(learning.phalaWatchCvmState({ uuid: ref(cvm), target: 'running', timeout: 600 }));
  expect(f).toMatchObject({ type: 'PhalaCvmFailed', nonRetryable: true });
  expect(f.details?.[0]).toEqual({ target: 'running', status: 'exited', bootError: 'dstack-prepare: image pull failed', name: cvm.name });
  expect(servedFor(ref(cvm))).toEqual({ gets: expect.any(Number), streams: 1 });
  expect(servedFor(ref(cvm)).gets).toBeGreaterThanOrEqual(1);
});

test('learned looks: a look the provider cannot answer hands the wait to the stream', async () => {
  const waitHistory = new DurationHistory();
  for (let n = 0; n < 3; n++) waitHistory.record('phala/running/*', 450, 50);
  const learning = createPhalaActivities(rig.client, { waitHistory });
  const { cvm } = await createCvm(rig.client);
  rig.sandbox.server.faults.add({ endpoint: 'phalaGetCvm', fault: { type: 'status', status: 503 } });
  const res = await learning.phalaWatchCvmState({ uuid: ref(cvm), target: 'running' });
  expect(res).toMatchObject({ outcome: 'complete', status: 'running', streams: 1, looks: 1 });
});

test('learned looks: never past the wait\'s timeout, at most twice the budget; then the stream', async () => {
  const waitHistory = new DurationHistory();
  for (const ms of [300, 300, 120_000]) waitHistory.record('phala/stopped/*', ms, 50); // one outlier of two minutes
  const learning = createPhalaActivities(rig.client, { waitHistory });
  const { cvm } = await createCvm(rig.client);
  await eventually(() => rig.sandbox.stateOf(ref(cvm))!.status === 'running', 3000);
  // a running CVM never gets to `stopped` by itself: the looks run out, the stream waits until its timeout
  const started = Date.now();
  const res = await learning.phalaWatchCvmState({ uuid: ref(cvm), target: 'stopped', timeout: 10, requestBudget: 2 });
  expect(res).toMatchObject({ outcome: 'timeout', status: 'running', streams: 1 });
  expect(Date.now() - started).toBeLessThan(12_000); // a look the plan put at two minutes is not waited for
  expect(res.looks).toBeLessThanOrEqual(4);

  // boots seen up to 800 ms: for a CVM that never comes, a plan with a budget of 3 spreads looks far past them;
  // the watch makes no more than twice the budget, within 2.8 s, then the stream
  const capped = new DurationHistory();
  for (const ms of [300, 300, 800]) capped.record('phala/stopped/*', ms, 50);
  const res2 = await createPhalaActivities(rig.client, { waitHistory: capped }).phalaWatchCvmState({ uuid: ref(cvm), target: 'stopped', timeout: 20, requestBudget: 3 });
  expect(res2).toMatchObject({ outcome: 'timeout', status: 'running', streams: 1 });
  expect(res2.looks).toBeGreaterThanOrEqual(2);
  expect(res2.looks).toBeLessThanOrEqual(6);
});
