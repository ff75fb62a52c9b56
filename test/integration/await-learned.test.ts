// awaitCvmState learns where waits of a kind end: after three waits for CUDO VMs of one machine kind, a
// wait given a budget of two requests makes a few looks placed near the learned boot time, where the interval
// schedule (100 ms) needed many. On the dev server, against the CUDO sandbox, through the production activity.
// Phala's watch (the wait of provisionPhalaCvm) learns from the same record: after three awaitCvmState waits for
// Phala CVMs, it looks where they ended instead of waiting on the state stream's 500 ms ticks.
import { useLifecycleWorker } from '../support/lifecycle';
import { unique } from '../support/temporal';
import type { CallActivityOutcome } from '../support/workflows/call-activity';

const ctx = useLifecycleWorker('await-learned', 10); // CUDO boots in 2.5 s

/** Creates a VM of this test's own kind (3 vCPUs) and waits for ACTIVE; the GETs of that VM the sandbox served. */
async function createAndWait(extra: object): Promise<number> {
  const vmId = unique('learn').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 3, memoryGib: 6 });
  const outcome = (await ctx.t.client.workflow.execute('callActivity', {
    taskQueue: ctx.taskQueue,
    workflowId: unique('await'),
    args: ['awaitCvmState', [{ provider: 'cudo', cvmId: vmId, target: 'running', pollIntervalMs: 100, ...extra }], { maximumAttempts: 1 }, '60s'],
  })) as CallActivityOutcome;
  expect(outcome).toMatchObject({ ok: true, result: { class: 'running' } });
  return ctx.env.sandboxes.cudo.sandbox.server.calls('cudoGetVm').filter((r) => r.path.endsWith(`/${vmId}`)).length;
}

test('after three waits of a kind, a wait with a budget of 2 requests looks far less often than the 100 ms interval', async () => {
  const first: number[] = [];
  for (let i = 0; i < 3; i++) first.push(await createAndWait({})); // no history: every 100 ms over a 2.5 s boot
  const learned: number[] = [];
  for (let i = 0; i < 3; i++) learned.push(await createAndWait({ requestBudget: 2 }));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ok = Math.min(...first) >= 10 && mean(learned) <= 4 && mean(learned) < mean(first) / 3;
  expect(`requests: first ${first.join(', ')}; learned ${learned.join(', ')} → ${ok ? 'fewer' : 'not fewer'}`).toMatch(/→ fewer$/);
});

/** Provisions and commits a Phala CVM (4.5 s boot at this speed); its id as a GET takes it. */
async function phalaCvm(): Promise<string> {
  const name = unique('learn').toLowerCase().replace(/[^a-z0-9-]/g, '');
  const p = await ctx.env.activities.phalaProvisionCvm({ name, compose_file: { docker_compose_file: 'services: {}\n' }, vcpu: 2, memory: 2048 });
  const c = await ctx.env.activities.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
  return c.ref;
}

test('Phala: after three awaitCvmState waits, the watch looks where those boots ended and opens no state stream', async () => {
  for (let i = 0; i < 3; i++) {
    const id = await phalaCvm();
    const outcome = (await ctx.t.client.workflow.execute('callActivity', {
      taskQueue: ctx.taskQueue,
      workflowId: unique('await'),
      args: ['awaitCvmState', [{ provider: 'phala', cvmId: id, target: 'running', pollIntervalMs: 200 }], { maximumAttempts: 1 }, '60s'],
    })) as CallActivityOutcome;
    expect(outcome).toMatchObject({ ok: true, result: { class: 'running' } });
  }
  const id = await phalaCvm();
  const outcome = (await ctx.t.client.workflow.execute('callActivity', {
    taskQueue: ctx.taskQueue,
    workflowId: unique('watch'),
    args: ['phalaWatchCvmState', [{ id, target: 'running', interval: 5, timeout: 60 }], { maximumAttempts: 1 }, '60s'],
  })) as CallActivityOutcome;
  expect(outcome).toMatchObject({ ok: true, result: { outcome: 'complete', phase: 'running', streams: 0 } });
  const { looks } = outcome.result as { looks: number };
  const served = ctx.env.sandboxes.phala.sandbox.server.requests.filter((r) => r.path.endsWith(`/${id}`) || r.path.endsWith(`/${id}/state`));
  expect(served.map((r) => r.activity)).toEqual(Array(looks).fill('phalaGetCvm'));
  expect(looks).toBeLessThanOrEqual(5); // a 2 s poll over a 4.5 s boot: 3 to 4
});
