// What the cluster test run's global setup hands to test files (a JSON file named by CVMFLOW_CLUSTER_TEST_STATE).
import { readFileSync, writeFileSync } from 'node:fs';
import type { NodePorts, PgSettings } from '../../src/dev/cluster';

export const STATE_ENV = 'CVMFLOW_CLUSTER_TEST_STATE';

export interface NodeState {
  node: number;
  /** The current process; a restart records the new one, so teardown stops it too. */
  pid: number;
  address: string;
  ports: NodePorts;
  /** The node's folder (config/development.yaml, server.log). */
  root: string;
}

export interface ClusterTestState {
  dir: string;
  address: string;
  namespace: string;
  cli: string;
  server: string;
  bundlePath: string;
  pg: PgSettings;
  nodes: NodeState[];
}

export function stateFile(): string {
  const file = process.env[STATE_ENV];
  if (!file) throw new Error(`${STATE_ENV} is not set: run cluster tests with \`npx jest -c jest.cluster.config.js\` (its global setup starts the cluster)`);
  return file;
}

export function readState(): ClusterTestState {
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as ClusterTestState;
}

export function writeState(state: ClusterTestState): void {
  writeFileSync(stateFile(), JSON.stringify(state, null, 2), { mode: 0o600 });
}

/** Whether a process with this pid is still running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
