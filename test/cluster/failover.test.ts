// Workflows keep completing when a server process crashes: clients and the worker use node 1's frontend,
// node 2 (which owns history shards and task-queue partitions) is SIGKILLed while workflows run, and every
// workflow still completes through node 1, which takes the dead node's shards over.
import { createActivities } from '../../src/activities';
import { pingCvmflow } from '../../src/workflows';
import { clusterNodes, connectCluster, createClusterWorker, historyHost, killOneNode, restartNode, shards, unique, type ClusterTemporal } from './support';
import { isAlive } from './state';

const N = 20;
let t: ClusterTemporal;
beforeAll(async () => {
  t = await connectCluster();
});
afterAll(async () => {
  await t?.close();
  // Leave a 2-node cluster for the files that run after this one.
  const killed = clusterNodes().find((n) => n.node === 2);
  if (killed && !isAlive(killed.pid)) await restartNode(2);
});


test(`${N} pingCvmflow workflows complete through node 1 while node 2 is SIGKILLed mid-run`, async () => {
  const taskQueue = unique('failover');
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } } });
  const worker = await createClusterWorker(t, { taskQueue, activities });
  const [node1, node2] = clusterNodes();
  const history1 = historyHost(node1!);
  const history2 = historyHost(node2!);
  const before = shards();
  const prefix = unique('ping');
  const start = (i: number) => t.client.workflow.start(pingCvmflow, { taskQueue, workflowId: `${prefix}-${i}` });

  const started = Date.now();
  const results = await worker.runUntil(async () => {
    const firstHalf = await Promise.all(Array.from({ length: N / 2 }, (_, i) => start(i)));
    const killed = await killOneNode(); // while the first half is in flight
    expect(killed.node).toBe(2);
    const secondHalf = await Promise.all(Array.from({ length: N / 2 }, (_, i) => start(N / 2 + i)));
    return Promise.all([...firstHalf, ...secondHalf].map((h) => h.result()));
  });
  const seconds = (Date.now() - started) / 1000;

  expect(results).toHaveLength(N);
  for (const r of results) expect(r).toMatchObject({ taskQueue, pid: process.pid });
  const after = shards();
  const movedFrom2 = [...before].filter(([, owner]) => owner === history2).map(([id]) => id);
  process.stderr.write(
    `[cluster] ${N} workflows completed in ${seconds.toFixed(1)} s across the SIGKILL of node 2; shards node 2 owned before: [${movedFrom2.join(', ')}], all now on node 1\n`,
  );
  for (const owner of after.values()) expect(owner).toBe(history1);
});
