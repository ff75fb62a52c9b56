// Every workflow started through cvmflow/client and through the `temporal` CLI by type name with JSON;
// repeated starts attach instead of duplicating; the custom search attributes find a run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CvmflowClient, CvmProvider, lifecycleWorkflowId, teardownWorkflowId } from '../../../src/client';
import { useLifecycleWorker } from '../../support/lifecycle';
import { testAddress, unique } from '../../support/temporal';

const run = promisify(execFile);
const ctx = useLifecycleWorker('client', 50);
let cvmflow: CvmflowClient;
beforeAll(() => {
  cvmflow = new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue });
});

const vmIdOf = (prefix: string) => unique(prefix).toLowerCase();
const nameOf = (prefix: string) => unique(prefix).toLowerCase();
const cudoSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms', activeDeadline: '60s', providerCallTimeout: '10s' });
const phalaSpec = (name: string) => ({ name, composeFile: 'services:\n  web:\n    image: nginx\n', pollInterval: '200ms', runningDeadline: '60s', providerCallTimeout: '10s' });
const prismSpec = (name: string) => ({ name, pollInterval: '200ms', onlineDeadline: '60s', providerCallTimeout: '10s' });

async function temporal(...args: string[]): Promise<string> {
  const { stdout } = await run(process.env.CVMFLOW_TEST_TEMPORAL_CLI!, [...args, '--address', testAddress(), '--namespace', 'default'], { encoding: 'utf8' });
  return stdout;
}

async function cliStart(type: string, workflowId: string, input: unknown): Promise<{ runId: string }> {
  return JSON.parse(await temporal('workflow', 'start', '--type', type, '--task-queue', ctx.taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(input), '--output', 'json')) as { runId: string };
}

test('every workflow starts through the client under its deterministic id, with a summary and search attributes', async () => {
  const vmId = vmIdOf('lib');
  const cudo = await cvmflow.startCreateCudoVm(cudoSpec(vmId));
  expect(cudo).toMatchObject({ workflowId: `cvm/cudo/${vmId}`, outcome: 'started' });
  const described = await cudo.handle.describe();
  expect(await described.staticSummary()).toMatch(`Create CUDO VM ${vmId}`);
  expect(described.typedSearchAttributes.get(CvmProvider)).toBe('cudo');
  expect(await cudo.result()).toMatchObject({ provider: 'cudo', vmId, state: 'ACTIVE' });

  const phalaName = nameOf('libapp');
  const phala = await cvmflow.startProvisionPhalaCvm(phalaSpec(phalaName));
  expect(phala.workflowId).toBe(lifecycleWorkflowId('phala', phalaName));
  expect(await phala.result()).toMatchObject({ provider: 'phala', name: phalaName, status: 'running' });

  const prismName = nameOf('libcvm');
  const prism = await cvmflow.startCreateAttestedPrismCvm(prismSpec(prismName));
  expect(prism.workflowId).toBe(`cvm/prism/${prismName}`);
  expect(await prism.result()).toMatchObject({ provider: 'prism', name: prismName, verdict: { verified: true } });
  expect(await cvmflow.status(prism.workflowId)).toMatchObject({ step: 'done', provider: 'prism', cvmName: prismName });

  const op = await cvmflow.startOperateCvm({ provider: 'cudo', cvmId: vmId, action: 'stop', requestId: 'r1', requestedBy: 'test', pollInterval: '200ms' });
  expect(op.workflowId).toBe(`operate/cudo/${vmId}/stop/r1`);
  expect(await op.result()).toMatchObject({ finalStatus: 'STOPPED' });

  const td = await cvmflow.startTeardownCvm({ provider: 'cudo', cvmId: vmId, pollInterval: '200ms' });
  expect(td.workflowId).toBe(teardownWorkflowId('cudo', vmId));
  expect(await td.result()).toMatchObject({ outcome: 'deleted' });

  for (const start of [() => cvmflow.startReconcileFleet({ providers: ['cudo'] }), () => cvmflow.startCollectCvmStatistics({ providers: ['cudo'] }), () => cvmflow.startReattestCvms({})]) {
    const s = await start();
    expect(s.workflowId).toMatch(/^manual\//);
    await expect(s.result()).resolves.toBeDefined();
  }
});

test('a repeated start attaches to the running workflow; a completed one is not started again; a terminated one is', async () => {
  const vmId = vmIdOf('twice');
  const first = await cvmflow.startCreateCudoVm(cudoSpec(vmId));
  const second = await cvmflow.startCreateCudoVm(cudoSpec(vmId));
  expect(second).toMatchObject({ outcome: 'attached', workflowId: first.workflowId, runId: first.runId });
  const result = await second.result();
  const third = await cvmflow.startCreateCudoVm(cudoSpec(vmId));
  expect(third).toMatchObject({ outcome: 'already-completed', runId: first.runId });
  expect(await third.result()).toEqual(result);
  const runs = await cvmflow.list({ provider: 'cudo', name: vmId, types: ['createCudoVm'] });
  expect(runs.map((r) => r.runId)).toEqual([first.runId]);
  expect(ctx.env.sandboxes.cudo.sandbox.vms().filter((v) => v.id === vmId)).toHaveLength(1);

  const stopped = vmIdOf('retry');
  const terminated = await cvmflow.startCreateCudoVm(cudoSpec(stopped));
  await terminated.handle.terminate('test: a run that did not complete');
  const again = await cvmflow.startCreateCudoVm(cudoSpec(stopped));
  expect(again.outcome).toBe('started');
  expect(again.runId).not.toBe(terminated.runId);
  expect(await again.result()).toMatchObject({ state: 'ACTIVE' });
});

test('every workflow starts with the temporal CLI by type name and JSON; a repeat attaches; list by search attributes finds it', async () => {
  const vmId = vmIdOf('cli');
  const workflowId = lifecycleWorkflowId('cudo', vmId);
  const a = await cliStart('createCudoVm', workflowId, cudoSpec(vmId));
  const b = await cliStart('createCudoVm', workflowId, cudoSpec(vmId));
  expect(b.runId).toBe(a.runId);
  expect(await ctx.t.client.workflow.getHandle(workflowId).result()).toMatchObject({ vmId, state: 'ACTIVE' });
  const listed = JSON.parse(`[${(await temporal('workflow', 'list', '--query', `CvmProvider='cudo' AND CvmName='${vmId}'`, '--output', 'jsonl')).trim().split('\n').filter(Boolean).join(',')}]`) as Array<{ execution: { workflowId: string; runId: string } }>;
  expect(listed.map((l) => l.execution)).toEqual([{ workflowId, runId: a.runId }]);

  const phalaName = nameOf('cliapp');
  const prismName = nameOf('clicvm');
  const starts: Array<[string, string, unknown]> = [
    ['provisionPhalaCvm', lifecycleWorkflowId('phala', phalaName), phalaSpec(phalaName)],
    ['createAttestedPrismCvm', lifecycleWorkflowId('prism', prismName), prismSpec(prismName)],
    ['operateCvm', `operate/cudo/${vmId}/reboot/cli`, { provider: 'cudo', cvmId: vmId, action: 'reboot', requestedBy: 'temporal-cli', pollInterval: '200ms' }],
    ['reconcileFleet', unique('cli-reconcile'), { providers: ['cudo'] }],
    ['collectCvmStatistics', unique('cli-stats'), {}],
    ['reattestCvms', unique('cli-reattest'), {}],
  ];
  for (const [type, id, input] of starts) {
    await cliStart(type, id, input);
    await expect(ctx.t.client.workflow.getHandle(id).result()).resolves.toBeDefined();
  }
  await cliStart('teardownCvm', teardownWorkflowId('cudo', vmId), { provider: 'cudo', cvmId: vmId, pollInterval: '200ms' });
  expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('cudo', vmId)).result()).toMatchObject({ outcome: 'deleted' });
});
