// Provider activities on a real Temporal worker against the sandbox: Temporal does the retrying, a
// Retry-After becomes the next retry delay, and non-retryable failures stop after one attempt.
import { createActivities } from '../../src/activities';
import { CudoClient } from '../../src/providers/cudo/client';
import { createCudoSandbox, type CudoSandbox } from '../../src/sandbox/cudo';
import { connectTestTemporal, createTestWorker, unique, type TestTemporal } from '../support/temporal';
import type { CallActivityOutcome } from '../support/workflows/call-activity';

let t: TestTemporal;
let sandbox: CudoSandbox;
let client: CudoClient;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  t = await connectTestTemporal();
  sandbox = createCudoSandbox();
  const url = await sandbox.server.listen();
  client = new CudoClient({ baseUrl: url, apiKey: sandbox.apiKey, projectId: sandbox.projectId });
  activities = createActivities({ workerInfo: { taskQueue: 'x', providers: { phala: 'disabled', prism: 'disabled', cudo: 'sandbox' } }, cudo: client });
});
afterAll(async () => {
  await client.close();
  await sandbox.server.close();
  await t.close();
});
beforeEach(() => sandbox.server.faults.clear());

async function call(name: string, args: unknown[], maximumAttempts = 5): Promise<CallActivityOutcome> {
  const taskQueue = unique('retries');
  const worker = await createTestWorker(t, { taskQueue, activities });
  return worker.runUntil(
    t.client.workflow.execute('callActivity', { taskQueue, workflowId: unique('call'), args: [name, args, { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts }] }),
  ) as Promise<CallActivityOutcome>;
}

test('a 5xx burst is retried by Temporal until the provider recovers', async () => {
  sandbox.server.faults.add({ endpoint: 'cudoListDataCenters', fault: { type: 'status', status: 503, body: { code: 14, message: 'unavailable' } }, times: 3 });
  const out = await call('cudoListDataCenters', [{}]);
  expect(out.ok).toBe(true);
  const calls = sandbox.server.calls('cudoListDataCenters');
  expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 200]);
});

test('429 with Retry-After waits that long before the next attempt (nextRetryDelay)', async () => {
  sandbox.server.faults.add({ endpoint: 'cudoListGpuModels', fault: { type: 'status', status: 429, retryAfter: 2, body: { code: 8, message: 'slow down' } } });
  const out = await call('cudoListGpuModels', [{}]);
  expect(out.ok).toBe(true);
  const [first, second] = sandbox.server.calls('cudoListGpuModels');
  expect(first!.status).toBe(429);
  expect(second!.status).toBe(200);
  // The retry policy alone would retry after 50 ms; the provider asked for 2 s.
  expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(1900);
});

test('not found is non-retryable: one attempt, a typed failure', async () => {
  const before = sandbox.server.calls('cudoGetVm').length;
  const out = await call('cudoGetVm', [{ id: 'no-such-vm' }]);
  expect(out).toMatchObject({ ok: false, failureType: 'ProviderNotFound', nonRetryable: true });
  expect(out.message).toMatch(/GET \/v1\/projects\/\{projectId\}\/vms\/\{id\}/);
  expect(sandbox.server.calls('cudoGetVm').length - before).toBe(1);
});

test('a malformed answer is a contract break: non-retryable, endpoint named', async () => {
  sandbox.server.faults.add({ endpoint: 'cudoListPublicImages', fault: { type: 'malformed' }, times: 0 });
  const out = await call('cudoListPublicImages', [{}]);
  expect(out).toMatchObject({ ok: false, failureType: 'ProviderBadResponse', nonRetryable: true });
  expect(sandbox.server.calls('cudoListPublicImages')).toHaveLength(1);
});

test('bad activity input fails at once without calling the provider', async () => {
  const before = sandbox.server.requests.length;
  const out = await call('cudoResizeVm', [{ id: 'x', vcpus: 'many' }]);
  expect(out).toMatchObject({ ok: false, nonRetryable: true });
  expect(sandbox.server.requests.length).toBe(before);
});
