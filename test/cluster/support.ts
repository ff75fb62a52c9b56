// Access to the run's 2-node Temporal cluster (started by test/cluster/global-setup.ts) for cluster tests:
// its address, connections and workers with the production workflow bundle, membership, and node faults.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { clusterMembership, launchNode, shardOwners, waitForMembers, waitHealthy, type MembershipRow, type PgSettings } from '../../src/dev/cluster';
import { isAlive, readState, writeState, type NodeState } from './state';

export type { NodeState } from './state';

/** The first node's frontend: what clients and workers connect to (the cluster's `TEMPORAL_ADDRESS`). */
export function clusterAddress(): string {
  return readState().address;
}

export function clusterNamespace(): string {
  return readState().namespace;
}

/** Every node, with its current pid and ports. */
export function clusterNodes(): NodeState[] {
  return readState().nodes;
}

/** PostgreSQL settings of the run's databases (per-run names). */
export function clusterPg(): PgSettings {
  return readState().pg;
}

/** The Temporal CLI the run uses. */
export function clusterCli(): string {
  return readState().cli;
}

/** The production workflows (src/workflows), bundled once per run. */
export function clusterBundle(): { codePath: string } {
  return { codePath: readState().bundlePath };
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface ClusterTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** A client and a worker connection, both to `address` (default: the first node's frontend). */
export async function connectCluster(address = clusterAddress()): Promise<ClusterTemporal> {
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection, namespace: clusterNamespace() }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A worker on a fresh task queue with the production bundle; options override the defaults. */
export async function createClusterWorker(t: ClusterTemporal, opts: Partial<WorkerOptions> & { activities: object }): Promise<Worker> {
  return Worker.create({
    connection: t.nativeConnection,
    namespace: clusterNamespace(),
    taskQueue: opts.taskQueue ?? unique('tq'),
    workflowBundle: clusterBundle(),
    ...opts,
  });
}

/** Live rows of cluster_membership (heartbeat within Temporal's 20 s cutoff). */
export function membership(): MembershipRow[] {
  return clusterMembership(clusterPg());
}

/** History shard id → owning history host (gRPC host:port of one of the nodes; '' if none). */
export function shards(): Map<number, string> {
  return shardOwners(clusterPg(), clusterNodes().map(historyHost));
}

export function historyHost(node: NodeState): string {
  return `127.0.0.1:${node.ports.history.grpc}`;
}


/**
 * Kills one server process that is not the one clients use (default: the last node) with SIGKILL, as a crash
 * would, and waits until it is gone. Returns the node it killed; `restartNode` brings it back.
 */
export async function killOneNode(opts: { node?: number; signal?: NodeJS.Signals } = {}): Promise<NodeState> {
  const nodes = clusterNodes();
  const target = nodes.find((n) => n.node === (opts.node ?? nodes.length));
  if (!target) throw new Error(`no node ${opts.node} in this cluster (nodes: ${nodes.map((n) => n.node).join(', ')})`);
  if (!isAlive(target.pid)) throw new Error(`node ${target.node} (pid ${target.pid}) is not running`);
  process.kill(target.pid, opts.signal ?? 'SIGKILL');
  for (let i = 0; i < 200 && isAlive(target.pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(target.pid)) throw new Error(`node ${target.node} (pid ${target.pid}) is still running after ${opts.signal ?? 'SIGKILL'}`);
  return target;
}

/** Starts a killed node again on its ports and config; waits until it is healthy and back in cluster_membership. */
export async function restartNode(node: number, timeoutMs = 90_000): Promise<NodeState> {
  const state = readState();
  const target = state.nodes.find((n) => n.node === node);
  if (!target) throw new Error(`no node ${node} in this cluster`);
  if (isAlive(target.pid)) throw new Error(`node ${node} (pid ${target.pid}) is still running`);
  const launched = Date.now() - 2_000; // session_start has second precision; allow for rounding
  const proc = launchNode({ server: state.server, root: target.root, node, ports: target.ports, appendLog: true });
  proc.child.unref(); // the node must not keep this jest worker alive; teardown stops it
  target.pid = proc.pid;
  writeState(state); // teardown stops it by this pid
  const deadline = Date.now() + timeoutMs;
  await waitHealthy(state.cli, proc, deadline);
  // The restarted node's own session (its killed predecessor's rows look live for up to 20 s).
  await waitForMembers(state.pg, [target], deadline, launched);
  return target;
}
