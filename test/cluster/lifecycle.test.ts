// The lifecycles on the 2-node PostgreSQL cluster against the sandbox: one run per provider plus a
// scheduled teardown of each, with node 2 SIGKILLed mid-run. Every workflow completes through node 1,
// with exactly one CVM per workflow, and none left after the teardowns.
import { lifecycleWorkflowId, teardownWorkflowId } from '../../src/contract/workflow-ids';
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { clusterNodes, connectCluster, createClusterWorker, killOneNode, restartNode, unique, type ClusterTemporal } from './support';
import { isAlive } from './state';

let t: ClusterTemporal;
let env: LifecycleEnv;

beforeAll(async () => {
  t = await connectCluster();
  env = await startLifecycleEnv(20);
});
afterAll(async () => {
  await env?.close();
  await t?.close();
  const node2 = clusterNodes().find((n) => n.node === 2);
  if (node2 && !isAlive(node2.pid)) await restartNode(2);
});


test('Phala, Prism and CUDO lifecycles and their scheduled teardowns survive the SIGKILL of a server node', async () => {
  const taskQueue = unique('cluster-lifecycle');
  const worker = await createClusterWorker(t, { taskQueue, activities: env.activities });
  const fast = { pollInterval: '300ms', providerCallTimeout: '10s' };
  const phalaName = unique('cl').replace(/[^a-z0-9-]/g, '');
  const prismName = unique('cl');
  const vmId = unique('cl').toLowerCase();

  await worker.runUntil(async () => {
    const phala = await t.client.workflow.start('provisionPhalaCvm', { taskQueue, workflowId: lifecycleWorkflowId('phala', phalaName), args: [{ name: phalaName, composeFile: 'services: {}\n', runningDeadline: '3m', ...fast }] });
    const prism = await t.client.workflow.start('createAttestedPrismCvm', { taskQueue, workflowId: lifecycleWorkflowId('prism', prismName), args: [{ name: prismName, onlineDeadline: '3m', ...fast }] });
    const cudo = await t.client.workflow.start('createCudoVm', {
      taskQueue,
      workflowId: lifecycleWorkflowId('cudo', vmId),
      args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, activeDeadline: '3m', ...fast }],
    });
    await new Promise((r) => setTimeout(r, 500)); // all three are in flight
    expect((await killOneNode()).node).toBe(2);

    const [p, r, c] = await Promise.all([phala.result(), prism.result(), cudo.result()]);
    expect(p.status).toBe('running');
    expect(r.verdict.verified).toBe(true);
    expect(c.state).toBe('ACTIVE');
    expect(env.sandboxes.phala.sandbox.cvms().filter((x) => x.name === phalaName)).toHaveLength(1);
    expect(env.sandboxes.prism.sandbox.cvms().filter((x) => x.name === prismName && x.status !== 'Inactive')).toHaveLength(1);
    expect(env.sandboxes.cudo.sandbox.vms().filter((x) => x.id === vmId)).toHaveLength(1);

    // Scheduled teardowns: a durable timer a few seconds out, then stop → delete → confirm gone.
    const at = new Date(Date.now() + 3_000).toISOString();
    const teardowns = await Promise.all([
      t.client.workflow.start('teardownCvm', { taskQueue, workflowId: teardownWorkflowId('phala', phalaName), args: [{ provider: 'phala', cvmId: p.cvmId, cvmName: phalaName, teardownAt: at, ...fast }] }),
      t.client.workflow.start('teardownCvm', { taskQueue, workflowId: teardownWorkflowId('prism', prismName), args: [{ provider: 'prism', cvmId: r.cvmId, teardownAt: at, ...fast }] }),
      t.client.workflow.start('teardownCvm', { taskQueue, workflowId: teardownWorkflowId('cudo', vmId), args: [{ provider: 'cudo', cvmId: vmId, teardownAt: at, ...fast }] }),
    ]);
    const outcomes = await Promise.all(teardowns.map((h) => h.result()));
    expect(outcomes.map((o) => o.outcome)).toEqual(['deleted', 'deleted', 'deleted']);
  });

  expect(env.sandboxes.phala.sandbox.cvms().filter((x) => x.name === phalaName)).toHaveLength(0);
  expect(env.sandboxes.prism.sandbox.cvms().filter((x) => x.name === prismName && x.status !== 'Inactive')).toHaveLength(0);
  const vm = env.sandboxes.cudo.sandbox.vm(vmId);
  expect(vm === undefined || vm.state === 'DELETED').toBe(true);
});
