// An upgrade while lifecycles run, on the real dev server: the scenario of test/support/upgrade.ts (build A →
// build B by `cvmflow deploy promote`, two worker processes, the waiting teardown finishes on B at its time,
// the PINNED lifecycle on A, a new one on B, and A drains).
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { connectTestTemporal, testAddress, unique, type TestTemporal } from '../support/temporal';
import { prepareBuilds, runUpgradeScenario, type UpgradeBuilds } from '../support/upgrade';
import type { WorkerProcess } from '../support/worker-process';

let t: TestTemporal;
let env: LifecycleEnv;
let builds: UpgradeBuilds;
const workers: WorkerProcess[] = [];
const taskQueue = unique('upgrade');

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(20);
  builds = await prepareBuilds(process.env.CVMFLOW_TEST_DIR!, taskQueue);
}, 240_000);
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) await w.stop();
  await env?.close();
  await t?.close();
});

test('build A → build B while lifecycles run: the waiting teardown finishes on B, a PINNED lifecycle on A, new ones on B, A drains', async () => {
  const ms = await runUpgradeScenario({ client: t.client, address: testAddress(), namespace: 'default', env, builds, taskQueue, workers, expectDrained: true });
  process.stderr.write(`upgrade test (dev server): A→B (a teardown parked on A, brought forward on B) took ${(ms / 1000).toFixed(1)} s\n`);
}, 300_000);
