// One Temporal dev server for the whole integration run (in memory, free port, cvmflow's search
// attributes) and one workflow bundle, both shared by every test file through environment variables.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, startDevServer } from '../../src/worker/dev-server';
import { resolveTemporalCli } from '../../src/dev/toolchain/temporal-cli';

/** Test servers only: how soon a worker version no longer current shows as drained (server default 3 min each). */
export const FAST_DRAINAGE = { 'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '5s', 'matching.wv.VersionDrainageStatusRefreshInterval': '2s' };

declare global {
  var __cvmflowDevServer: { stop(): Promise<void> } | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Tests that run the production worker as a process (npm start, worker kills) need lib/ current.
  const build = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.cjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-it-'));
  // The browser test drives the Temporal UI in the system Chromium: installed here when missing and possible;
  // otherwise that test fails with the one line that names the fix.
  const chromium = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'ensure-chromium.cjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (chromium.stderr) process.stderr.write(chromium.stderr);
  if (chromium.status === 0) process.env.CVMFLOW_TEST_CHROMIUM = chromium.stdout.trim();
  else process.env.CVMFLOW_TEST_CHROMIUM_ERROR = chromium.stderr.trim().split('\n').pop() || 'cvmflow: Chromium is missing: run `node scripts/ensure-chromium.cjs` as root';
  process.env.CVMFLOW_TEST_DIR = dir;
  const cli = resolveTemporalCli();
  process.env.CVMFLOW_TEST_TEMPORAL_CLI = cli;
  if (!process.env.CVMFLOW_TEST_TEMPORAL_ADDRESS) {
    const server = await startDevServer({
      cli,
      port: await freePort(),
      namespace: 'default',
      logFile: join(dir, 'dev-server.log'),
      // Worker versioning: a version's drainage (open pinned workflows) refreshed in seconds, not minutes.
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 50, ...FAST_DRAINAGE },
    });
    globalThis.__cvmflowDevServer = server;
    writeFileSync(join(dir, 'dev-server.pid'), String(server.child.pid));
    process.env.CVMFLOW_TEST_TEMPORAL_ADDRESS = server.address;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./test-workflows'),
    workflowInterceptorModules: [require.resolve('../../src/workflows/interceptors')],
    preloadModules: [require.resolve('../../src/workflows/shared-modules')],
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.CVMFLOW_TEST_WORKFLOW_BUNDLE = bundlePath;
}
