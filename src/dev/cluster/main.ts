// `npm run cluster [-- --nodes 2] [--base-port 7233]`: a real Temporal cluster on the local PostgreSQL, in
// the foreground until Ctrl-C/SIGTERM. The worker reaches it with TEMPORAL_ADDRESS.
import { relative } from 'node:path';
import { ToolchainError } from '../toolchain/temporal-cli';
import { PROJECT_ROOT } from '../../common/paths';
import { TEMPORAL_SERVER_VERSION } from './constants';
import { dropClusterDatabases, startCluster, type Cluster, type StartClusterOptions } from './cluster';
import { ClusterError } from './postgres';
import { ClusterConfigError } from './settings';
import { DevServerError } from '../../worker/dev-server';

const USAGE = `usage: npm run cluster -- [--nodes N] [--base-port PORT] [--drop-databases]
  --nodes N           server processes (1-9; default CVMFLOW_CLUSTER_NODES or 1)
  --base-port PORT    frontend gRPC port of node 1 (default CVMFLOW_CLUSTER_PORT or 7233; node n adds 100·(n-1))
  --drop-databases    drop both databases and exit (asks nothing: the cluster's history is gone)
PostgreSQL: CVMFLOW_PG_URL (postgres://temporal@127.0.0.1:5432), CVMFLOW_PG_PASSWORD (temporal),
CVMFLOW_PG_ADMIN_URL (postgres://postgres@<host>:<port>/postgres, or none), CVMFLOW_PG_DATABASE (temporal),
CVMFLOW_PG_VISIBILITY_DATABASE (temporal_visibility); files under CVMFLOW_CLUSTER_DIR (.temporal/cluster).`;

export interface ClusterArgs {
  nodes?: number;
  basePort?: number;
  dropDatabases: boolean;
  help: boolean;
}

export function parseClusterArgs(argv: string[]): ClusterArgs {
  const args: ClusterArgs = { dropDatabases: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new ClusterConfigError([`${flag} expects a whole number (got ${v ?? 'nothing'})`]);
      return Number(v);
    };
    if (flag === '--nodes' || flag === '-n') args.nodes = value();
    else if (flag === '--base-port' || flag === '--port') args.basePort = value();
    else if (flag === '--drop-databases') args.dropDatabases = true;
    else if (flag === '--help' || flag === '-h') args.help = true;
    else throw new ClusterConfigError([`unknown argument ${argv[i]}\n${USAGE}`]);
  }
  if (args.nodes !== undefined && (args.nodes < 1 || args.nodes > 9)) throw new ClusterConfigError([`--nodes expects 1-9 (got ${args.nodes})`]);
  if (args.basePort !== undefined && (args.basePort < 1024 || args.basePort > 65000)) throw new ClusterConfigError([`--base-port expects 1024-65000 (got ${args.basePort})`]);
  return args;
}

async function main(): Promise<void> {
  const args = parseClusterArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`cvmflow cluster: ${line}\n`);
  const opts: StartClusterOptions = { nodes: args.nodes, basePort: args.basePort, log };
  if (args.dropDatabases) {
    const dropped = await dropClusterDatabases(opts);
    log(`dropped the databases ${dropped.join(' and ')}`);
    return;
  }
  const cluster = await startCluster(opts);
  printRunning(cluster);

  let stopping = false;
  const shutdown = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping the cluster`);
    void cluster.stop().then(() => {
      log('stopped');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  for (const p of cluster.processes) {
    void p.exited.then((status) => {
      // Ctrl-C reaches the servers too (same process group): give our own SIGINT handler the first word.
      setTimeout(() => {
        if (!stopping) shutdown(`node ${p.node} (pid ${p.pid}) exited unexpectedly (${status}); see ${shown(p.logFile)}`, 1);
      }, 500);
    });
  }
}

/** A path relative to the project when it is inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(PROJECT_ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

function printRunning(c: Cluster): void {
  const { pg } = c.settings;
  const lines = [
    '',
    `Temporal cluster is running: server ${TEMPORAL_SERVER_VERSION}, ${c.processes.length} node${c.processes.length > 1 ? 's' : ''}, PostgreSQL ${pg.host}:${pg.port} (${pg.database}, ${pg.visibilityDatabase}); healthy in ${(c.startMs / 1000).toFixed(1)} s.`,
    `  address:    ${c.address}`,
    ...c.processes.slice(1).map((p) => `  node ${p.node}:     ${p.address}`),
    `  namespace:  ${c.namespace}`,
    `  logs:       ${c.processes.map((p) => shown(p.logFile)).join(', ')}`,
    `Run the worker on it:  TEMPORAL_ADDRESS=${c.address} npm start`,
    'Ctrl-C stops the cluster (the databases keep its workflows).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  const known = err instanceof ClusterError || err instanceof ClusterConfigError || err instanceof ToolchainError || err instanceof DevServerError;
  process.stderr.write(`cvmflow cluster: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(err instanceof ClusterConfigError ? 2 : 1);
});
