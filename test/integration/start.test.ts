// `npm start` as a person runs it: dev server + worker come up and print the UI link; Ctrl-C stops both;
// runs survive into the next start; a busy port gives one clear line instead of a stack trace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, portIsFree } from '../../src/worker/dev-server';
import { buildIdOfBundleFile } from '../../src/worker/versioning';
import { PRODUCTION_BUNDLE } from '../../src/worker/worker';
import { unique } from '../support/temporal';

const root = resolve(__dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'cvmflow-start-'));
const taskQueue = unique('start');
let port: number;
let uiPort: number;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_CLI: process.env.CVMFLOW_TEST_TEMPORAL_CLI, CVMFLOW_DATA_DIR: dataDir, CVMFLOW_DEV_SERVER_PORT: String(port), CVMFLOW_DEV_UI_PORT: String(uiPort), CVMFLOW_TASK_QUEUE: taskQueue, CVMFLOW_LOG_FORMAT: 'json', ...extra };
  for (const k of ['TEMPORAL_ADDRESS', 'npm_lifecycle_event', 'npm_lifecycle_script']) delete env[k];
  return env;
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  /** Exit code, or the signal name when the process ended by one (npm re-raises the signal it got). */
  exited: Promise<number | string | null>;
}

function startCvmflow(command: string[], env: NodeJS.ProcessEnv): Started {
  // Its own process group, so a signal to -pid reaches npm and the worker together, like Ctrl-C in a terminal.
  const child = spawn(command[0]!, command.slice(1), { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  return { child, stdout: () => out, exited };
}

async function waitFor(what: () => boolean, label: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  port = await freePort();
  uiPort = await freePort();
});

test('npm start runs the embedded default, Ctrl-C stops it, and runs survive a restart', async () => {
  const first = startCvmflow(['npm', 'start', '--silent'], childEnv());
  await waitFor(() => first.stdout().includes('cvmflow is running'), 'the first start');
  const ui = `http://127.0.0.1:${uiPort}/namespaces/default/workflows`;
  expect(first.stdout()).toContain(`Temporal UI: ${ui}`);
  expect(first.stdout()).toContain(`task queue:  ${taskQueue}`);
  // The worker's version: deployment cvmflow, build id from the bundle; on the dev server it makes itself current.
  expect(first.stdout()).toContain(`version:     cvmflow:${buildIdOfBundleFile(PRODUCTION_BUNDLE)} (Worker Deployment Versioning on, promote: always)`);
  expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);

  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const done = unique('ping-before-restart');
  const result = await client.workflow.execute('pingCvmflow', { taskQueue, workflowId: done });
  expect(result).toMatchObject({ taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } });
  const pending = unique('pending-across-restart');
  await client.workflow.start('pingCvmflow', { taskQueue: 'nobody-polls-this-queue', workflowId: pending });
  await connection.close();
  // The workflow's own log line reached the same JSON stream, tagged with its workflow id.
  await waitFor(() => first.stdout().includes('cvmflow worker answered'), 'the workflow log line', 10_000);
  const line = first.stdout().split('\n').find((l) => l.includes('cvmflow worker answered'))!;
  expect(JSON.parse(line)).toMatchObject({ workflowId: done, workflowType: 'pingCvmflow' });

  process.kill(-first.child.pid!, 'SIGINT');
  expect([0, 'SIGINT']).toContain(await first.exited);
  await waitFor(() => first.stdout().includes('embedded Temporal dev server stopped'), 'the drained shutdown', 20_000);
  expect(await portIsFree(port)).toBe(true);

  const second = startCvmflow(['npm', 'start', '--silent'], childEnv());
  await waitFor(() => second.stdout().includes('cvmflow is running'), 'the second start');
  const c2 = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client2 = new Client({ connection: c2 });
  const ids: string[] = [];
  for await (const wf of client2.workflow.list({ query: `WorkflowId = '${done}' OR WorkflowId = '${pending}'` })) ids.push(`${wf.workflowId}:${wf.status.name}`);
  await c2.close();
  expect(ids.sort()).toEqual([`${done}:COMPLETED`, `${pending}:RUNNING`].sort());
  process.kill(-second.child.pid!, 'SIGTERM');
  expect([0, 'SIGTERM']).toContain(await second.exited);
  await waitFor(() => second.stdout().includes('embedded Temporal dev server stopped'), 'the drained shutdown', 20_000);
  expect(await portIsFree(port)).toBe(true);
});

test('a busy port is one clear line and a non-zero exit, not a stack trace', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
  try {
    const run = startCvmflow([process.execPath, 'lib/worker/main.js'], childEnv());
    expect(await run.exited).toBe(1);
    const lines = run.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^cvmflow: port ${port} on 127\\.0\\.0\\.1 is already in use .*CVMFLOW_DEV_SERVER_PORT`));
  } finally {
    blocker.close();
  }
});

test('bad configuration stops start-up with one line per problem', async () => {
  const run = startCvmflow([process.execPath, 'lib/worker/main.js'], childEnv({ CVMFLOW_LOG_LEVEL: 'loud', CUDO_API_KEY: 'secret-cudo-key' }));
  expect(await run.exited).toBe(2);
  const out = run.stdout();
  expect(out).toMatch(/CVMFLOW_LOG_LEVEL: expected one of/);
  expect(out).not.toContain('secret-cudo-key');
  expect(out).not.toMatch(/\n\s+at /);
});

test('an unreachable TEMPORAL_ADDRESS is one clear line', async () => {
  const run = startCvmflow([process.execPath, 'lib/worker/main.js'], { ...childEnv(), TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
  expect(await run.exited).toBe(1);
  const lines = run.stdout().trim().split('\n').filter((l) => !l.startsWith('{'));
  expect(lines).toEqual([expect.stringMatching(/^cvmflow: cannot reach Temporal at 127\.0\.0\.1:\d+ .*check TEMPORAL_ADDRESS/)]);
});
