// The production worker (lib/worker/main.js) as a separate process, so a test can SIGKILL it mid-flight
// and start another, as a crash and a restart would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { LifecycleEnv } from './lifecycle';
import { testAddress } from './temporal';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What a worker outside this process needs to verify the test sandboxes' evidence, as the README tells an operator:
 * their roots in CVMFLOW_TRUST_SANDBOX_ROOT_FILE (plus any root file the test gives) and the Phala sandbox's TDX
 * collateral at its cache path under CVMFLOW_COLLATERAL_DIR.
 */
function sandboxTrust(env: LifecycleEnv, extraRootFile: string | undefined): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-trust-'));
  const phala = env.sandboxes.phala.sandbox;
  const roots = [extraRootFile ? readFileSync(extraRootFile, 'utf8') : '', env.sandboxes.prism.sandbox.sandboxRootPem() ?? '', phala.sandboxTdxRootPem()].filter(Boolean).join('');
  const rootFile = join(dir, 'sandbox-roots.pem');
  writeFileSync(rootFile, roots);
  const collateralDir = join(dir, 'collateral');
  const collateral = join(collateralDir, phala.sandboxTdxCollateralCachePath());
  mkdirSync(dirname(collateral), { recursive: true });
  writeFileSync(collateral, JSON.stringify(phala.sandboxTdxCollateral()));
  return { CVMFLOW_TRUST_SANDBOX_ROOT_FILE: rootFile, CVMFLOW_COLLATERAL_DIR: collateralDir };
}

/** Worker env pointing every provider at the test's sandboxes as if they were the real APIs. */
export function workerEnv(env: LifecycleEnv, taskQueue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const s = env.sandboxes;
  const out: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: extra.TEMPORAL_ADDRESS ?? testAddress(),
    TEMPORAL_NAMESPACE: 'default',
    CVMFLOW_TASK_QUEUE: taskQueue,
    // A deployment per task queue: test files share the dev server, and a deployment's current version is shared.
    CVMFLOW_DEPLOYMENT_NAME: `cvmflow-${taskQueue}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100),
    CVMFLOW_SANDBOX: 'off',
    CVMFLOW_LOG_FORMAT: 'json',
    CVMFLOW_SHUTDOWN_GRACE: '1s',
    PHALA_API_URL: s.phala.url,
    PHALA_API_KEY: s.phala.apiKey,
    PRISM_API_URL: s.prism.url,
    PRISM_TOKEN: s.prism.token,
    PRISM_DOMAIN_ID: s.prism.domainId,
    CUDO_API_URL: s.cudo.url,
    CUDO_API_KEY: s.cudo.apiKey,
    CUDO_PROJECT_ID: s.cudo.projectId,
    ...extra,
    ...sandboxTrust(env, extra.CVMFLOW_TRUST_SANDBOX_ROOT_FILE),
  };
  return out;
}

export async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const root = resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, [resolve(root, 'lib', 'worker', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Generous: a loaded 2-core machine takes its time to load the bundle; a worker that never starts still fails.
  const deadline = Date.now() + 120_000;
  while (!out.includes('cvmflow worker started')) {
    if (child.exitCode !== null) throw new Error(`worker exited at start:\n${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
