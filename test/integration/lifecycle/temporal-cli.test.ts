// Other services start lifecycles by type name with plain JSON: here the `temporal` CLI does, and finds
// the run again by cvmflow's custom search attributes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useLifecycleWorker } from '../../support/lifecycle';
import { testAddress, unique } from '../../support/temporal';

const ctx = useLifecycleWorker('cli', 50);
// Asynchronous: the worker runs in this process and must keep polling while the CLI waits.
const temporal = async (...args: string[]) => (await promisify(execFile)(process.env.CVMFLOW_TEST_TEMPORAL_CLI!, [...args, '--address', testAddress()], { encoding: 'utf8' })).stdout;

test('temporal workflow start by type name with JSON, then list by search attributes', async () => {
  const vmId = unique('cli').toLowerCase();
  const workflowId = `cvm/cudo/${vmId}`;
  const input = { vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms' };
  await temporal('workflow', 'start', '--type', 'createCudoVm', '--task-queue', ctx.taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(input));
  // A repeated start by the same id attaches to the running workflow instead of starting a second one.
  await temporal('workflow', 'start', '--type', 'createCudoVm', '--task-queue', ctx.taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(input));
  const result = JSON.parse(await temporal('workflow', 'result', '--workflow-id', workflowId, '-o', 'json')) as { result?: { state?: string } };
  expect(result.result?.state).toBe('ACTIVE');
  expect(ctx.env.sandboxes.cudo.sandbox.vms().filter((v) => v.id === vmId)).toHaveLength(1);

  const listed = await temporal('workflow', 'list', '--query', `CvmProvider='cudo' AND CvmName='${vmId}' AND CvmStep='done'`, '-o', 'json');
  const runs = JSON.parse(listed.trim() || '[]') as Array<{ execution: { workflowId: string } }>;
  expect(runs.map((r) => r.execution.workflowId)).toEqual([workflowId]);
  const status = JSON.parse(await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', 'status', '-o', 'json')) as { queryResult: Array<{ step: string; cvmId: string }> };
  expect(status.queryResult[0]).toMatchObject({ step: 'done', cvmId: vmId });
});
