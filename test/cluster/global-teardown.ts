// Stops every server process of the run (also ones a test restarted) and drops the per-run databases.
import { rmSync } from 'node:fs';
import { isAlive, readState } from './state';


export default async function globalTeardown(): Promise<void> {
  const cluster = globalThis.__cvmflowCluster;
  if (!cluster) return;
  const state = readState();
  await cluster.stop();
  // Processes restarted by a test belong to a jest worker that may be gone: stop them by their recorded pid.
  const started = new Set(cluster.processes.map((p) => p.pid));
  const restarted = state.nodes.map((n) => n.pid).filter((pid) => !started.has(pid) && isAlive(pid));
  for (const pid of restarted) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && restarted.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
  for (const pid of restarted.filter(isAlive)) process.kill(pid, 'SIGKILL');
  await cluster.dropDatabases();
  if (!process.env.CVMFLOW_TEST_KEEP_DIR) rmSync(state.dir, { recursive: true, force: true });
}
