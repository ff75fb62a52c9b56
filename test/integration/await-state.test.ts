// awaitCvmState asks each provider's waiter table (src/contract/rules): a CVM settled in a state that will not
// lead to the target by itself fails the wait at once, with the state named, instead of being polled until the
// deadline. On the dev server, against the CUDO and Prism sandboxes, through the production activity.
import { MockActivityEnvironment } from '@temporalio/testing';
import { useLifecycleWorker } from '../support/lifecycle';
import { unique } from '../support/temporal';
import type { CallActivityOutcome } from '../support/workflows/call-activity';

const ctx = useLifecycleWorker('await-state', 50);

/** awaitCvmState through Temporal with a 60 s deadline (what a lifecycle gives it), timed. */
async function await_(input: object): Promise<{ outcome: CallActivityOutcome; seconds: number }> {
  const t0 = Date.now();
  const outcome = (await ctx.t.client.workflow.execute('callActivity', {
    taskQueue: ctx.taskQueue,
    workflowId: unique('await'),
    args: ['awaitCvmState', [input], { maximumAttempts: 1 }, '60s'],
  })) as CallActivityOutcome;
  return { outcome, seconds: (Date.now() - t0) / 1000 };
}

test('CUDO: a SUSPENDED VM fails a wait for ACTIVE at once (CvmSettled, state named)', async () => {
  const vmId = unique('susp').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 });
  ctx.env.sandboxes.cudo.sandbox.suspend(vmId);
  const { outcome, seconds } = await await_({ provider: 'cudo', cvmId: vmId, target: 'running', pollIntervalMs: 200 });
  expect(outcome).toMatchObject({ ok: false, failureType: 'CvmSettled', nonRetryable: true });
  expect(outcome.message).toMatch(new RegExp(`cudo CVM ${vmId} is SUSPENDED.*will not get there by itself`));
  expect(seconds).toBeLessThan(30);
});

test('Prism: an Offline CVM fails a wait for evidence at once (CvmSettled, state named)', async () => {
  const name = unique('offline').toLowerCase();
  await ctx.env.activities.prismCreateCvm({ name, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: false });
  const cvm = ctx.env.sandboxes.prism.sandbox.cvms().find((c) => c.name === name)!;
  const online = await await_({ provider: 'prism', cvmId: cvm.id, target: 'evidence-ready', pollIntervalMs: 200 });
  expect(online.outcome).toMatchObject({ ok: true });
  ctx.env.sandboxes.prism.sandbox.disconnect(cvm.id);
  const { outcome, seconds } = await await_({ provider: 'prism', cvmId: cvm.id, target: 'evidence-ready', pollIntervalMs: 200 });
  expect(outcome).toMatchObject({ ok: false, failureType: 'CvmSettled', nonRetryable: true });
  expect(outcome.message).toMatch(new RegExp(`prism CVM ${cvm.id} is Offline.*will not get there by itself`));
  expect(seconds).toBeLessThan(30);
});

test('a settled state the target may come from is still waited on: a stopped CUDO VM being started reaches ACTIVE', async () => {
  const vmId = unique('start').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 });
  expect((await await_({ provider: 'cudo', cvmId: vmId, target: 'running', pollIntervalMs: 200 })).outcome).toMatchObject({ ok: true });
  await ctx.env.activities.cudoStopVm({ id: vmId });
  expect((await await_({ provider: 'cudo', cvmId: vmId, target: 'stopped', pollIntervalMs: 200 })).outcome).toMatchObject({ ok: true });
  await ctx.env.activities.cudoStartVm({ id: vmId });
  expect((await await_({ provider: 'cudo', cvmId: vmId, target: 'running', pollIntervalMs: 200 })).outcome).toMatchObject({ ok: true, result: { class: 'running' } });
});

test('a wait that ends at its first look sends no heartbeat (one no one would read)', async () => {
  const vmId = unique('beat').toLowerCase();
  await ctx.env.activities.cudoCreateVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 });
  expect((await await_({ provider: 'cudo', cvmId: vmId, target: 'running', pollIntervalMs: 200 })).outcome).toMatchObject({ ok: true });
  const beats: unknown[] = [];
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const seen = await env.run(ctx.env.activities.awaitCvmState, { provider: 'cudo' as const, cvmId: vmId, target: 'running' as const, pollIntervalMs: 200 });
  expect(seen).toMatchObject({ class: 'running', status: 'ACTIVE' });
  expect(beats).toEqual([]);
});
