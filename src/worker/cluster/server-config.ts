// Port layout and the `development.yaml` each server process loads (modelled on the server's
// config/development-postgres12.yaml, with cvmflow's database settings, ports and dynamic config).
import { stringify } from 'yaml';
import { freePort } from '../dev-server';
import { DYNAMIC_CONFIG_FILE, NUM_HISTORY_SHARDS, SERVICES, SQL_PLUGIN, type ServiceName } from './constants';
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

/** Ten ports the OS says are free, for tests and benchmarks that must not collide with a developer's cluster. */
export async function freeNodePorts(ip = '127.0.0.1'): Promise<NodePorts> {
  const seen = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort(ip);
      if (!seen.has(p)) {
        seen.add(p);
        return p;
      }
    }
  };
  const svc = async (): Promise<ServicePorts> => ({ grpc: await next(), membership: await next() });
  return { frontend: { ...(await svc()), http: await next() }, history: await svc(), matching: await svc(), worker: await svc() };
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
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName,
      connectAddr: `${pg.host.includes(':') ? `[${pg.host}]` : pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
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
      datastores: { 'postgres-default': store(pg.database, 20), 'postgres-visibility': store(pg.visibilityDatabase, 4) },
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
  return `# Written by cvmflow (src/worker/cluster); regenerated on every start.\n${stringify(serverConfig(input))}`;
}
