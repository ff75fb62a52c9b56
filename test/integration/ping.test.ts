// The production activities factory and a workflow on a real Temporal server, end to end.
import { pingCvmflow } from '../../src/workflows';
import { createActivities } from '../../src/activities';
import { recordHistory } from '../support/histories';
import { connectTestTemporal, createTestWorker, unique, type TestTemporal } from '../support/temporal';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTestTemporal();
});
afterAll(async () => t.close());

test('pingCvmflow runs on a worker and reports its wiring', async () => {
  const taskQueue = unique('ping');
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'real', cudo: 'disabled' } } });
  const worker = await createTestWorker(t, { taskQueue, activities });
  const result = await worker.runUntil(t.client.workflow.execute(pingCvmflow, { taskQueue, workflowId: unique('ping') }));
  expect(result).toEqual({ taskQueue, pid: process.pid, providers: { phala: 'sandbox', prism: 'real', cudo: 'disabled' } });
});

test('records a golden history of pingCvmflow', async () => {
  const taskQueue = unique('ping');
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } } });
  const worker = await createTestWorker(t, { taskQueue, activities });
  const workflowId = unique('ping');
  await worker.runUntil(t.client.workflow.execute(pingCvmflow, { taskQueue, workflowId }));
  await recordHistory(t.client, workflowId, 'pingCvmflow', 'happy-path');
  expect((await t.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
});
