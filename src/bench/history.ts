// History events per workflow for a full run, and for the same run when the CVM takes 10x longer to boot
// (and to stop and delete): waits are heartbeating activities, so history should stay flat as time grows.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { CudoClient } from '../providers/cudo/client';
import { startSandboxes } from '../sandbox';
import { freePort, startDevServer } from '../worker/dev-server';
import { defaultWorkflowSource } from '../worker/worker';
import { resolveTemporalCli } from '../dev/toolchain/temporal-cli';
import { startSandboxedProviders } from './sandboxed';

export interface HistoryRow {
  workflow: string;
  events: number;
  eventsSlowBoot: number;
  seconds: number;
  secondsSlowBoot: number;
}

interface Run {
  type: string;
  args: (id: string) => unknown[];
}

const RUNS: Run[] = [
  { type: 'provisionPhalaCvm', args: (id) => [{ name: `bench-${id}`, composeFile: 'services: {}\n', pollInterval: '1s', providerCallTimeout: '10s' }] },
  { type: 'createAttestedPrismCvm', args: (id) => [{ name: `bench-${id}`, pollInterval: '1s', providerCallTimeout: '10s' }] },
  { type: 'createCudoVm', args: (id) => [{ vmId: `bench-${id}`, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '1s', providerCallTimeout: '10s' }] },
];

async function runAll(address: string, speed: number, tag: string): Promise<Map<string, { events: number; seconds: number }>> {
  const taskQueue = `bench-history-${tag}`;
  const providers = await startSandboxedProviders(taskQueue, speed);
  const activities = providers.activities;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, activities, workflowsPath: require.resolve('../workflows') });
  const out = new Map<string, { events: number; seconds: number }>();
  await worker.runUntil(async () => {
    await Promise.all(
      RUNS.map(async (r, i) => {
        const started = Date.now();
        const id = `${tag}-${i}`;
        const handle = await client.workflow.start(r.type, { taskQueue, workflowId: `bench/${id}`, args: r.args(id) });
        await handle.result();
        out.set(r.type, { events: (await handle.fetchHistory()).events?.length ?? 0, seconds: (Date.now() - started) / 1000 });
      }),
    );
    // Day-2 and teardown on the CUDO VM just created: stop it, then tear it down.
    const vmId = `bench-${tag}-2`;
    for (const [type, args] of [
      ['operateCvm', [{ provider: 'cudo', cvmId: vmId, action: 'stop', pollInterval: '1s', providerCallTimeout: '10s' }]],
      ['teardownCvm', [{ provider: 'cudo', cvmId: vmId, pollInterval: '1s', providerCallTimeout: '10s' }]],
    ] as const) {
      const started = Date.now();
      const handle = await client.workflow.start(type, { taskQueue, workflowId: `bench/${tag}-${type}`, args: [...args] });
      await handle.result();
      out.set(type, { events: (await handle.fetchHistory()).events?.length ?? 0, seconds: (Date.now() - started) / 1000 });
    }
  });
  await Promise.all([connection.close(), nativeConnection.close(), providers.close()]);
  return out;
}

/** Starts its own dev server; `speed` is the sandbox speed of the normal run (the slow run uses speed / 10). */
export async function benchLifecycleHistory(speed = 20): Promise<HistoryRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-'));
  const server = await startDevServer({ cli: resolveTemporalCli(), port: await freePort(), namespace: 'default', logFile: join(dir, 'dev.log') });
  try {
    const normal = await runAll(server.address, speed, 'normal');
    const slow = await runAll(server.address, speed / 10, 'slow');
    return [...normal.keys()].map((type) => ({
      workflow: type,
      events: normal.get(type)!.events,
      eventsSlowBoot: slow.get(type)!.events,
      seconds: normal.get(type)!.seconds,
      secondsSlowBoot: slow.get(type)!.seconds,
    }));
  } finally {
    await server.stop();
  }
}

/** CUDO create → ACTIVE lifecycles started at once against `address`, one worker with the production bundle when
 * built: lifecycles per second. At most 64 (the sandbox data center's public IPv4 addresses). */
export async function benchLifecycleThroughput(address: string, count: number, speed = 50, opts: { dataConverter?: DataConverter } = {}): Promise<{ lifecyclesPerSecond: number; count: number; seconds: number }> {
  const sandboxes = await startSandboxes({ providers: ['cudo'], speed });
  const cudo = new CudoClient({ baseUrl: sandboxes.cudo!.url, apiKey: sandboxes.cudo!.apiKey, projectId: sandboxes.cudo!.projectId });
  const taskQueue = `bench-lifecycles-${Date.now()}`;
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'disabled', prism: 'disabled', cudo: 'sandbox' } }, cudo });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: opts.dataConverter });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, activities, ...defaultWorkflowSource(), dataConverter: opts.dataConverter });
  const started = Date.now();
  await worker.runUntil(
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const vmId = `tp-${taskQueue.slice(-6)}-${i}`;
        const h = await client.workflow.start('createCudoVm', {
          taskQueue,
          workflowId: `bench/${vmId}`,
          args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '500ms', providerCallTimeout: '10s' }],
        });
        return h.result();
      }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  await Promise.all([connection.close(), nativeConnection.close(), cudo.close()]);
  await sandboxes.close();
  return { lifecyclesPerSecond: count / seconds, count, seconds };
}
