// Issue 17 on the dev server: what a careless or hostile caller sends never wedges a workflow, is never half-heard,
// and is refused in words that name the field. Workflows are started by type name with the plain Temporal client
// (as the `temporal` CLI or another SDK would), so nothing of cvmflow's client checks the input first.
import { ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { runCvmflow } from '../support/cli';
import { useLifecycleWorker, waitForStep } from '../support/lifecycle';
import { testAddress, unique } from '../support/temporal';

const ctx = useLifecycleWorker('input-guard');
const EventType = temporal.api.enums.v1.EventType;

/** Starts a workflow by type name with raw args and returns how it ended. */
async function run(type: string, args: unknown[], workflowId = unique(`ig-${type}`)): Promise<{ workflowId: string; error: ApplicationFailure }> {
  const handle = await ctx.t.client.workflow.start(type, { taskQueue: ctx.taskQueue, workflowId, args, workflowExecutionTimeout: '60s' });
  const err = await handle.result().then(
    (r) => new Error(`completed instead of failing: ${JSON.stringify(r)}`),
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) throw err;
  return { workflowId, error: err.cause };
}

async function workflowTaskFailures(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length;
}

function expectInputError(error: ApplicationFailure, pattern: RegExp): void {
  expect(error.type).toBe('InvalidWorkflowInput');
  expect(error.nonRetryable).toBe(true);
  expect(error.message).toMatch(pattern);
}

const cudo = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms' });
const liveVm = (id: string) => ctx.env.sandboxes.cudo.sandbox.vm(id);

test('1. a bad cancelTeardown payload is logged, counted, shown and ignored; the teardown keeps running and still obeys', async () => {
  const vmId = unique('sig').toLowerCase();
  const handle = await ctx.t.client.workflow.start('teardownCvm', {
    taskQueue: ctx.taskQueue,
    workflowId: `teardown/cudo/${vmId}`,
    args: [{ provider: 'cudo', cvmId: vmId, teardownAt: new Date(Date.now() + 3_600_000).toISOString() }],
  });
  await waitForStep(ctx.t.client, handle.workflowId, 'scheduled');
  const bad = [5, 'now', [], { reason: 5 }, { reasn: 'typo' }, { reason: 'x'.repeat(10_000) }];
  for (const payload of bad) await handle.signal('cancelTeardown', payload);
  const status = (await handle.query('status')) as { step: string; rejectedMessages?: number; lastRejectedMessage?: string };
  expect(status).toMatchObject({ step: 'scheduled', rejectedMessages: bad.length });
  expect(status.lastRejectedMessage).toMatch(/^cancelTeardown: reason: /);
  const details = (await ctx.t.client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: handle.workflowId } })).workflowExecutionInfo;
  expect(details?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
  expect(await workflowTaskFailures(ctx.t.client, handle.workflowId)).toBe(0);
  // still does its job: a valid cancel is obeyed
  await handle.signal('cancelTeardown', { reason: 'kept after all' });
  expect(await handle.result()).toMatchObject({ outcome: 'cancelled', cancelReason: 'kept after all' });
  expect(await workflowTaskFailures(ctx.t.client, handle.workflowId)).toBe(0);
});

test('2. unknown fields (vcpu, gpu) fail the workflow naming them and the field meant; nothing is created', async () => {
  const vmId = unique('typo').toLowerCase();
  const { workflowId, error } = await run('createCudoVm', [{ ...cudo(vmId), vcpu: 4, gpu: 2 }]);
  expectInputError(error, /unknown field vcpu: did you mean vcpus\?.*unknown field gpu: did you mean gpus\?/);
  expect(liveVm(vmId)).toBeUndefined();
  expect(await workflowTaskFailures(ctx.t.client, workflowId)).toBe(0);
});

test('2b. a misspelt key in a pinned attestation policy fails the workflow naming it, before a Prism CVM exists', async () => {
  const name = unique('policy-typo').toLowerCase();
  const prismCalls = () => ctx.env.sandboxes.prism.sandbox.server.requests.length;
  const before = prismCalls();
  // {"polcy": {"measurment": …}} would otherwise parse to a policy that pins nothing.
  const { error } = await run('createAttestedPrismCvm', [{ name, policy: { polcy: { measurment: 'AAAA' } } }]);
  expectInputError(error, /policy\.polcy: not a policy field \(did you mean policy\?/);
  const nested = await run('createAttestedPrismCvm', [{ name, policy: { policy: { measurment: 'AAAA' }, root_of_trust: { product_line: 'Milan' } } }]);
  expectInputError(nested.error, /policy\.policy\.measurment: not a policy field \(did you mean measurement\?/);
  expect(prismCalls()).toBe(before);
});

test('3. a second input is an error, not ignored', async () => {
  const vmId = unique('two').toLowerCase();
  const { error } = await run('createCudoVm', [cudo(vmId), { vcpus: 8 }]);
  expectInputError(error, /expected one input object, got 2/);
  expect(liveVm(vmId)).toBeUndefined();
});

test('4. ids the provider would not take fail teardownCvm and operateCvm at once, before any provider call', async () => {
  const cudoCalls = () => ctx.env.sandboxes.cudo.sandbox.server.requests.length;
  const phalaCalls = () => ctx.env.sandboxes.phala.sandbox.server.requests.length;
  const before = { cudo: cudoCalls(), phala: phalaCalls() };
  for (const cvmId of ['../../etc/passwd', 'my cvm', 'x?y=1#z', 'a'.repeat(300)]) {
    expectInputError((await run('teardownCvm', [{ provider: 'cudo', cvmId }])).error, /cvmId: /);
    expectInputError((await run('teardownCvm', [{ provider: 'phala', cvmName: cvmId }])).error, /cvmName: /);
    expectInputError((await run('operateCvm', [{ provider: 'phala', cvmId, action: 'stop' }])).error, /cvmId: /);
  }
  expect({ cudo: cudoCalls(), phala: phalaCalls() }).toEqual(before);
});

test('5. 10 KB ids and names are input errors, not a run terminated by the server for a bad search attribute', async () => {
  const big = 'a'.repeat(10 * 1024);
  for (const input of [{ provider: 'phala', cvmId: big }, { provider: 'prism', cvmName: big }]) {
    const { workflowId, error } = await run('teardownCvm', [input]);
    expectInputError(error, /(cvmId|cvmName): at most 128 characters/);
    const info = await ctx.t.client.workflow.getHandle(workflowId).describe();
    expect(info.status.name).toBe('FAILED');
  }
  expectInputError((await run('createCudoVm', [{ ...cudo('vm-big'), dataCenterId: big }])).error, /dataCenterId: expected a data center id/);
  expectInputError((await run('provisionPhalaCvm', [{ name: 'big-one', composeFile: 'services: {}', instanceType: big }])).error, /instanceType: /);
});

test('6. extendTeardown past the maximum lease is rejected in a plain sentence naming maxLease', async () => {
  const vmId = unique('lease').toLowerCase();
  const handle = await ctx.t.client.workflow.start('teardownCvm', {
    taskQueue: ctx.taskQueue,
    workflowId: `teardown/cudo/${vmId}`,
    args: [{ provider: 'cudo', cvmId: vmId, teardownAt: new Date(Date.now() + 3_600_000).toISOString() }],
  });
  await waitForStep(ctx.t.client, handle.workflowId, 'scheduled');
  const err = await handle.executeUpdate('extendTeardown', { args: [{ teardownAt: '9999-12-31T23:59:59Z' }] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause).toMatchObject({ type: 'InvalidUpdate', nonRetryable: true });
  expect(cause.message).toMatch(/^extendTeardown rejected: teardownAt must be at most maxLease \(366d\) from now/);
  const typo = (await handle.executeUpdate('extendTeardown', { args: [{ teardownAt: new Date(Date.now() + 7_200_000).toISOString(), reason: 'x' }] }).catch((e: unknown) => e)) as WorkflowUpdateFailedError;
  expect(typo.cause?.message).toMatch(/^extendTeardown rejected: unknown field reason/);
  expect(await handle.query('teardownAt')).toBe(new Date(Date.parse((await handle.query('status') as { teardownAt: string }).teardownAt)).toISOString());
  await handle.signal('cancelTeardown', {});
  expect(await handle.result()).toMatchObject({ outcome: 'cancelled' });
  expect(await workflowTaskFailures(ctx.t.client, handle.workflowId)).toBe(0);
});

test('7. an operateCvm failure says what failed on which CVM, in the provider words with the endpoint', async () => {
  const { error } = await run('operateCvm', [{ provider: 'cudo', cvmId: 'vm-not-there', action: 'stop', providerCallTimeout: '5s', waitDeadline: '5s' }]);
  expect(error.message).toMatch(/^stop of cudo CVM vm-not-there failed: cudo POST \S*stop\S*: .*HTTP 404/);
  expect(error.type).toBe('ProviderNotFound');
  expect(error.message).not.toMatch(/Activity task failed/);
});

describe('7. the CLI', () => {
  const cli = (args: string[], extra: Record<string, string> = {}) => runCvmflow(args, { HOME: process.env.HOME, TEMPORAL_ADDRESS: testAddress(), CVMFLOW_TASK_QUEUE: ctx.taskQueue, ...extra });

  test('--vcpus -3 says what is allowed; unknown flags are refused; a bad address names itself and the fix', async () => {
    const neg = await cli(['provision', 'cudo', '--name', 'vm-neg', '--data-center-id', 'gb-bournemouth-1', '--machine-type', 'epyc-milan', '--boot-disk-image-id', 'ubuntu-2204', '--memory-gib', '4', '--vcpus', '-3']);
    expect(neg).toMatchObject({ code: 2, stderr: expect.stringMatching(/vcpus: Too small: expected number to be >=1/) });
    expect(neg.stderr).not.toMatch(/ambiguous/);
    const xml = await cli(['endpoints', '--xml']);
    expect(xml).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/endpoints: unknown option --xml/) });
    const garbage = await cli(['list'], { TEMPORAL_ADDRESS: 'garbage' });
    expect(garbage).toMatchObject({ code: 2, stderr: expect.stringMatching(/TEMPORAL_ADDRESS: "garbage" is not a Temporal address: expected host:port/) });
    const down = await cli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(down).toMatchObject({ code: 3, stderr: expect.stringMatching(/cannot reach Temporal at 127\.0\.0\.1:1 .*npm start.*TEMPORAL_ADDRESS/) });
  });

  test('teardown extend | cancel of a CVM with no teardown exits 1 (not found), as the README says', async () => {
    const extend = await cli(['teardown', 'extend', 'cudo', 'vm-never-scheduled', '--at', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(extend).toMatchObject({ code: 1, stderr: expect.stringMatching(/no teardown is scheduled for that CVM/) });
    const cancel = await cli(['teardown', 'cancel', 'cudo', 'vm-never-scheduled']);
    expect(cancel).toMatchObject({ code: 1, stderr: expect.stringMatching(/no teardown is scheduled for that CVM/) });
  });

  test('--file with an unknown field is a usage error suggesting the field meant', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'cvmflow-ig-')), 'vm.json');
    writeFileSync(file, JSON.stringify({ ...cudo('vm-file'), vcpu: 4 }));
    const r = await cli(['provision', 'cudo', '--file', file]);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown field vcpu: did you mean vcpus\?/) });
  });
});
