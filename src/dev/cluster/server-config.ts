// Port layout and the `development.yaml` each server process loads (modelled on the server's
// config/development-postgres12.yaml, with cvmflow's database settings, ports and dynamic config).
import { stringify } from 'yaml';
import { portIsFree } from '../../worker/dev-server';
import { DYNAMIC_CONFIG_FILE, NUM_HISTORY_SHARDS, SERVICES, SQL_PLUGIN, VISIBILITY_MAX_CONNS, type ServiceName } from './constants';
import type { PgSettings } from './settings';

export interface ServicePorts {
  grpc: number;
  membership: number;
}

export interface NodePorts {
  frontend: ServicePorts & { http: number };
  history: ServicePorts;
  matching: ServicePorts;
  worker: ServicePorts;
}

const GRPC_OFFSET: Record<ServiceName, number> = { frontend: 0, history: 1, matching: 2, worker: 6 };
/** Node n's ports start 100 above node n-1's; membership ports sit 300 below the gRPC ones (7233 → 6933). */
const NODE_STRIDE = 100;
const MEMBERSHIP_OFFSET = -300;
const HTTP_OFFSET = 10;

/**
 * Node `index` (0-based) of a cluster whose first frontend listens on `basePort`: node 0 gets the server's
 * standard ports (7233-7239, HTTP 7243, membership 6933-6939), node 1 the same plus 100, and so on.
 */
export function nodePorts(basePort: number, index: number): NodePorts {
  const f = basePort + NODE_STRIDE * index;
  const svc = (s: ServiceName): ServicePorts => ({ grpc: f + GRPC_OFFSET[s], membership: f + GRPC_OFFSET[s] + MEMBERSHIP_OFFSET });
  return { frontend: { ...svc('frontend'), http: f + HTTP_OFFSET }, history: svc('history'), matching: svc('matching'), worker: svc('worker') };
}

/** Temporal stores membership ports in a SMALLINT column (cluster_membership.rpc_port). */
export const MAX_MEMBERSHIP_PORT = 32767;

/**
 * A base port whose whole layout for `nodes` nodes is free right now, chosen at random in 20000-32000 (below
 * the OS's ephemeral range, so membership ports fit cluster_membership's SMALLINT), for tests and benchmarks.
 */
export async function freeBasePort(nodes: number, ip = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(random() * (12_000 - NODE_STRIDE * nodes));
    const ports = Array.from({ length: nodes }, (_, i) => allPorts(nodePorts(base, i))).flat();
    let free = true;
    for (const p of ports) if (!(free = await portIsFree(p, ip))) break;
    if (free) return base;
  }
  throw new Error(`found no free block of ports for ${nodes} nodes between 20000 and 32000`);
}

export function allPorts(p: NodePorts): number[] {
  return [...SERVICES.flatMap((s) => [p[s].grpc, p[s].membership]), p.frontend.http];
}

export interface ServerConfigInput {
  pg: PgSettings;
  ports: NodePorts;
  /** Address of the cluster's first frontend (clusterMetadata rpcAddress; the same on every node). */
  clusterAddress: string;
  ip: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  dynamicConfigFile?: string;
}

/** The server config object of one node; every node shares persistence and clusterMetadata. */
export function serverConfig(input: ServerConfigInput): Record<string, unknown> {
  const { pg, ports } = input;
  const store = (databaseName: string, maxConns: number, maxIdleConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName,
      connectAddr: `${pg.host.includes(':') ? `[${pg.host}]` : pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (s: ServiceName) => ({
    rpc: {
      grpcPort: ports[s].grpc,
      membershipPort: ports[s].membership,
      bindOnIP: input.ip,
      ...(s === 'frontend' ? { httpPort: ports.frontend.http } : {}),
    },
  });
  return {
    log: { stdout: true, level: input.logLevel ?? 'info' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': store(pg.database, pg.maxConns, Math.ceil(pg.maxConns / 2)),
        'postgres-visibility': store(pg.visibilityDatabase, VISIBILITY_MAX_CONNS, 1),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: input.ip },
      pprof: { port: 0 },
    },
    services: Object.fromEntries(SERVICES.map((s) => [s, service(s)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: input.clusterAddress } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile ?? DYNAMIC_CONFIG_FILE, pollInterval: '10s' },
  };
}

export function serverConfigYaml(input: ServerConfigInput): string {
  return `# Written by cvmflow (src/dev/cluster); regenerated on every start.\n${stringify(serverConfig(input))}`;
}

/**
 * The same database settings in the environment variables the temporalio/server image's config template reads
 * (docker-compose.yml's x-db-env), so the parity test can compare the two deployments name by name.
 */
export function serverImageDbEnv(pg: PgSettings): Record<string, string> {
  return {
    DB: SQL_PLUGIN,
    DB_PORT: String(pg.port),
    POSTGRES_SEEDS: pg.host,
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    DBNAME: pg.database,
    VISIBILITY_DBNAME: pg.visibilityDatabase,
    NUM_HISTORY_SHARDS: String(NUM_HISTORY_SHARDS),
  };
}
