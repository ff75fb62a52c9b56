// The upgrade of test/support/upgrade.ts on the 2-node cluster: build A → build B by `cvmflow deploy promote`
// with two worker processes; the waiting teardown finishes on B at its time, the PINNED lifecycle on A, a new
// one on B, and nothing stays open on A. (The drained status itself follows visibility after the server's
// 3-minute grace period on this cluster's dynamic config, so it is not awaited here; the dev server test is.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { prepareBuilds, runUpgradeScenario, type UpgradeBuilds } from '../support/upgrade';
import type { WorkerProcess } from '../support/worker-process';
import { clusterAddress, clusterNamespace, connectCluster, unique, type ClusterTemporal } from './support';

let t: ClusterTemporal;
let env: LifecycleEnv;
let builds: UpgradeBuilds;
const workers: WorkerProcess[] = [];
const taskQueue = unique('cluster-upgrade');

beforeAll(async () => {
  // Build A is the production bundle the worker processes load: current with the source.
  const build = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.cjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  t = await connectCluster();
  env = await startLifecycleEnv(20);
  builds = await prepareBuilds(mkdtempSync(join(tmpdir(), 'cvmflow-upgrade-')), taskQueue);
}, 300_000);
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) await w.stop();
  await env?.close();
  await t?.close();
});

test('build A → build B on the 2-node cluster: the waiting teardown finishes on B, a PINNED lifecycle on A, new ones on B', async () => {
  const ms = await runUpgradeScenario({ client: t.client, address: clusterAddress(), namespace: clusterNamespace(), env, builds, taskQueue, workers, expectDrained: false });
  process.stderr.write(`upgrade test (2-node cluster): A→B (a teardown parked on A, brought forward on B) took ${(ms / 1000).toFixed(1)} s\n`);
}, 300_000);
