// One 2-node Temporal cluster for the whole `npm run test:cluster` run, on the local PostgreSQL, with
// per-run databases (cvmflow_it_<pid>, cvmflow_it_<pid>_visibility) so a developer's cluster is untouched,
// free ports, and the production workflow bundle. Test files reach it through test/cluster/support.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { dropClusterDatabases, loadClusterSettings, startCluster, type Cluster } from '../../src/dev/cluster';
import { dropDatabases, psql } from '../../src/dev/cluster/postgres';
import { resolveTemporalServerTools } from '../../src/dev/toolchain/temporal-server';
import { STATE_ENV, type ClusterTestState } from './state';

declare global {
  var __cvmflowCluster: Cluster | undefined;
}

/** Databases of earlier runs whose jest process is gone (killed before its teardown): dropped. */
function dropAbandonedRunDatabases(log: (line: string) => void): void {
  const pg = loadClusterSettings({ ...process.env, CVMFLOW_PG_DATABASE: undefined, CVMFLOW_PG_VISIBILITY_DATABASE: undefined }).pg;
  const r = psql(pg.admin ?? { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres' }, "SELECT datname FROM pg_database WHERE datname ~ '^cvmflow_it_[0-9]+$'");
  if (!r.ok) return;
  for (const name of r.stdout.split('\n').filter(Boolean)) {
    const pid = Number(name.slice('cvmflow_it_'.length));
    try {
      process.kill(pid, 0);
      continue; // that run is still going
    } catch {
      /* gone */
    }
    dropDatabases(pg, [name, `${name}_visibility`]);
    log(`dropped the databases of an abandoned run (${name})`);
  }
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-cluster-it-'));
  const database = `cvmflow_it_${process.pid}`;
  const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
  const tools = resolveTemporalServerTools({ log });
  try {
    dropAbandonedRunDatabases(log);
  } catch {
    /* best effort */
  }
  const pg = { database, visibilityDatabase: `${database}_visibility` };
  const env = { ...process.env, CVMFLOW_PG_DATABASE: undefined, CVMFLOW_PG_VISIBILITY_DATABASE: undefined, CVMFLOW_CLUSTER_NODES: undefined, CVMFLOW_CLUSTER_PORT: undefined };
  let cluster: Cluster;
  try {
    cluster = await startCluster({ nodes: 2, basePort: 0, dataDir: join(dir, 'cluster'), pg, env, tools, log });
  } catch (err) {
    // Jest skips the teardown when the setup fails: leave nothing behind here.
    await dropClusterDatabases({ pg, env, force: true }).catch(() => undefined);
    if (!process.env.CVMFLOW_TEST_KEEP_DIR) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  globalThis.__cvmflowCluster = cluster;
  log(`2 nodes healthy in ${(cluster.startMs / 1000).toFixed(1)} s: ${cluster.addresses.join(', ')} (databases ${database}, ${database}_visibility)`);

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);

  const state: ClusterTestState = {
    dir,
    address: cluster.address,
    namespace: cluster.namespace,
    cli: cluster.cli,
    server: tools.server,
    bundlePath,
    pg: cluster.settings.pg,
    nodes: cluster.processes.map((p) => ({ node: p.node, pid: p.pid, address: p.address, ports: p.ports, root: join(dir, 'cluster', `node-${p.node}`) })),
  };
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  process.env[STATE_ENV] = stateFile;
}
