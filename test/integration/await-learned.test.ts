// awaitCvmState learns where waits of a kind end: after three waits for CUDO VMs of one machine kind, a
// wait given a budget of two requests makes a few looks placed near the learned boot time, where the interval
// schedule (100 ms) needed many. On the dev server, against the CUDO sandbox, through the production activity.
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
