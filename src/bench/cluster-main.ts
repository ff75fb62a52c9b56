// `node lib/bench/cluster-main.js [count] [rounds]`: trivial-workflow throughput on the SQLite dev server and
// on a 2-node Temporal cluster on the local PostgreSQL (per-run databases, dropped afterwards), in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ClusterConfigError, ClusterError, startCluster, type Cluster } from '../dev/cluster';
import { DevServerError, freePort, startDevServer, type DevServer } from '../worker/dev-server';
import { resolveTemporalCli, ToolchainError } from '../dev/toolchain/temporal-cli';
import { benchTrivialWorkflows, type TrivialWorkflowsResult } from './cluster';
import { benchLifecycleThroughput } from './history';

const line = (name: string, r: TrivialWorkflowsResult) =>
  `${name.padEnd(50)} ${r.workflowsPerSecond.toFixed(1).padStart(10)} workflows/s  (${r.count} in ${r.seconds.toFixed(2)} s)\n`;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? process.env.CVMFLOW_BENCH_COUNT ?? 500);
  const rounds = Number(process.argv[3] ?? process.env.CVMFLOW_BENCH_ROUNDS ?? 1);
  if (!Number.isInteger(count) || count < 1) throw new ClusterConfigError([`the workflow count must be a whole number >= 1 (got ${process.argv[2]})`]);
  if (!Number.isInteger(rounds) || rounds < 1) throw new ClusterConfigError([`the rounds must be a whole number >= 1 (got ${process.argv[3]})`]);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-bench-'));
  const cli = resolveTemporalCli({ log });
  const database = `cvmflow_bench_${process.pid}`;
  let dev: DevServer | undefined;
  let cluster: Cluster | undefined;
  try {
    dev = await startDevServer({ cli, port: await freePort(), namespace: 'default', dbFile: join(dir, 'dev.db'), logFile: join(dir, 'dev-server.log') });
    cluster = await startCluster({
      nodes: 2,
      basePort: 0,
      dataDir: join(dir, 'cluster'),
      pg: { database, visibilityDatabase: `${database}_visibility` },
      env: { ...process.env, CVMFLOW_PG_DATABASE: undefined, CVMFLOW_PG_VISIBILITY_DATABASE: undefined },
      serverLogLevel: 'warn',
      cli,
      log,
    });
    log(`2-node cluster healthy in ${(cluster.startMs / 1000).toFixed(1)} s`);
    // Alternate the two, so a change in machine load mid-run biases neither; the best round of each counts.
    let bestDev: TrivialWorkflowsResult | undefined;
    let bestCluster: TrivialWorkflowsResult | undefined;
    const best = (a: TrivialWorkflowsResult | undefined, b: TrivialWorkflowsResult) => (a && a.workflowsPerSecond >= b.workflowsPerSecond ? a : b);
    for (let round = 1; round <= rounds; round++) {
      const suffix = rounds > 1 ? ` [round ${round}]` : '';
      const d = await benchTrivialWorkflows(dev.address, count);
      process.stdout.write(line(`dev server (SQLite file), 1 worker${suffix}`, d));
      const c = await benchTrivialWorkflows(cluster.address, count);
      process.stdout.write(line(`2-node cluster (PostgreSQL), 1 worker${suffix}`, c));
      bestDev = best(bestDev, d);
      bestCluster = best(bestCluster, c);
    }
    process.stdout.write(`${`cluster / dev server${rounds > 1 ? ' (best rounds)' : ''}`.padEnd(50)} ${(bestCluster!.workflowsPerSecond / bestDev!.workflowsPerSecond).toFixed(2).padStart(10)}x\n`);
    // Real lifecycles (CUDO create → ACTIVE against the sandbox), same worker setup, same run.
    const lifecycles = Number(process.env.CVMFLOW_BENCH_LIFECYCLES ?? 20);
    const dl = await benchLifecycleThroughput(dev.address, lifecycles);
    process.stdout.write(`${'dev server: CUDO lifecycles'.padEnd(50)} ${dl.lifecyclesPerSecond.toFixed(2).padStart(10)} lifecycles/s  (${dl.count} in ${dl.seconds.toFixed(2)} s)\n`);
    const cl = await benchLifecycleThroughput(cluster.address, lifecycles);
    process.stdout.write(`${'2-node cluster: CUDO lifecycles'.padEnd(50)} ${cl.lifecyclesPerSecond.toFixed(2).padStart(10)} lifecycles/s  (${cl.count} in ${cl.seconds.toFixed(2)} s)\n`);
    process.stdout.write(`${'cluster / dev server (lifecycles)'.padEnd(50)} ${(cl.lifecyclesPerSecond / dl.lifecyclesPerSecond).toFixed(2).padStart(10)}x\n`);
  } finally {
    await dev?.stop();
    await cluster?.dropDatabases();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  const known = err instanceof ClusterError || err instanceof ClusterConfigError || err instanceof ToolchainError || err instanceof DevServerError;
  process.stderr.write(`cluster bench failed: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exitCode = 1;
});
