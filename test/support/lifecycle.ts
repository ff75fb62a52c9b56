// Everything a lifecycle test needs besides Temporal: all three sandboxes on a fast clock, real clients
// pointed at them, and the production activities built from those clients.
import { createActivities } from '../../src/activities';
import { CudoClient } from '../../src/providers/cudo/client';
import { PhalaClient } from '../../src/providers/phala/client';
import { PrismClient } from '../../src/providers/prism/client';
import { startSandboxes, type RunningSandboxes } from '../../src/sandbox';
import { createSecretResolver } from '../../src/worker/secrets';
import type { Client } from '@temporalio/client';

export interface LifecycleEnv {
  sandboxes: Required<Pick<RunningSandboxes, 'phala' | 'prism' | 'cudo'>> & RunningSandboxes;
  activities: ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export async function startLifecycleEnv(speed = 50): Promise<LifecycleEnv> {
  const sandboxes = (await startSandboxes({ providers: ['phala', 'prism', 'cudo'], speed })) as LifecycleEnv['sandboxes'];
  const phala = new PhalaClient({ baseUrl: sandboxes.phala.url, apiKey: sandboxes.phala.apiKey });
  const prism = new PrismClient({ baseUrl: sandboxes.prism.url, token: sandboxes.prism.token, domainId: sandboxes.prism.domainId });
  const cudo = new CudoClient({ baseUrl: sandboxes.cudo.url, apiKey: sandboxes.cudo.apiKey, projectId: sandboxes.cudo.projectId });
  const activities = createActivities({
    workerInfo: { taskQueue: 'lifecycle-tests', providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } },
    phala,
    prism,
    cudo,
    resolveSecret: createSecretResolver({ env: process.env }),
    // the worker trusts its own sandboxes' roots (SNP for Prism, TDX for Phala), as `npm start` does
    sandboxAttestationRoot: () => [sandboxes.prism.sandbox.sandboxRootPem(), sandboxes.phala.sandbox.sandboxTdxRootPem()].filter(Boolean).join('') || undefined,
    sandboxTdxCollateral: () => sandboxes.phala.sandbox.sandboxTdxCollateral(),
  });
  return {
    sandboxes,
    activities,
    async close() {
      await Promise.all([phala.close(), prism.close(), cudo.close()]);
      await sandboxes.close();
    },
  };
}

/**
 * The whole history of a workflow as text, to assert what it contains and what it does not: the JSON form
 * (payloads appear there base64-encoded) followed by every payload decoded, so a secret cannot hide in base64.
 */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const json = JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory());
  const decoded = [...json.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  if (decoded.length === 0) throw new Error('historyText: no payloads found; the history format changed');
  return `${json}\n${decoded.join('\n')}`;
}

/** Waits until the workflow's status query reports the step. */
export async function waitForStep(client: Client, workflowId: string, step: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const s = (await client.workflow.getHandle(workflowId).query('status')) as { step: string };
      if (s.step === step) return;
    } catch {
      /* not started yet */
    }
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} never reached step ${step}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LifecycleWorkerContext {
  t: import('./temporal').TestTemporal;
  env: LifecycleEnv;
  taskQueue: string;
}

/**
 * Registers beforeAll/afterAll that start the sandboxes and one in-process worker with the production
 * activities (plus `extraActivities`) on a fresh task queue; the returned object is filled in before the
 * first test.
 */
export function useLifecycleWorker(prefix: string, speed = 50, extraActivities?: (t: import('./temporal').TestTemporal) => object): LifecycleWorkerContext {
  const ctx = {} as LifecycleWorkerContext;
  let worker: import('@temporalio/worker').Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    const { connectTestTemporal, createTestWorker, unique } = await import('./temporal');
    ctx.t = await connectTestTemporal();
    ctx.env = await startLifecycleEnv(speed);
    ctx.taskQueue = unique(prefix);
    worker = await createTestWorker(ctx.t, { taskQueue: ctx.taskQueue, activities: { ...ctx.env.activities, ...extraActivities?.(ctx.t) } });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await ctx.env?.close();
    await ctx.t?.close();
  });
  return ctx;
}
