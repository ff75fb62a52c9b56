// CVMFLOW_WORKER_VERSIONING=off, for clusters that do not allow Worker Deployment Versioning: the worker runs
// unversioned, says so at start-up, and its workflows (which declare a behaviour only on versioned workers) run.
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { connectTestTemporal, unique, type TestTemporal } from '../support/temporal';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../support/worker-process';

let t: TestTemporal;
let env: LifecycleEnv;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(50);
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
  await t?.close();
});

test('an unversioned worker says so and runs PINNED and AUTO_UPGRADE workflow types alike', async () => {
  const taskQueue = unique('unversioned');
  worker = await startWorkerProcess(workerEnv(env, taskQueue, { CVMFLOW_WORKER_VERSIONING: 'off' }));
  expect(worker.output()).toContain('Worker Deployment Versioning is off: this worker runs unversioned');
  const pingId = unique('ping-unversioned');
  const teardownId = unique('teardown-unversioned');
  const ping = await t.client.workflow.execute('pingCvmflow', { taskQueue, workflowId: pingId });
  expect(ping).toMatchObject({ taskQueue, pid: worker.child.pid });
  const vmId = unique('unv').toLowerCase();
  const teardown = await t.client.workflow.execute('teardownCvm', { taskQueue, workflowId: teardownId, args: [{ provider: 'cudo', cvmId: vmId, pollInterval: '200ms' }] });
  expect(teardown).toMatchObject({ outcome: 'already-gone' });
  for (const id of [pingId, teardownId]) {
    const info = (await t.client.workflow.getHandle(id).describe()).raw.workflowExecutionInfo;
    expect([id, info?.versioningInfo?.behavior ?? 0]).toEqual([id, 0]); // unspecified: no behaviour was stated
  }
});
