// The cluster really has two members: both server processes heartbeat into cluster_membership for every
// service, and the history shards are owned by the cluster's history hosts.
import { NUM_HISTORY_SHARDS, SERVICES, waitForMembers, type MembershipRow } from '../../src/dev/cluster';
import { clusterNodes, clusterPg, historyHost, membership, shards } from './support';

test('both server processes appear for every role in cluster_membership', async () => {
  const nodes = clusterNodes();
  expect(nodes).toHaveLength(2);
  // A node another file restarted heartbeats again within seconds; nothing is waited for otherwise.
  await waitForMembers(clusterPg(), nodes, Date.now() + 30_000).catch(() => undefined);
  for (const n of nodes) expect(() => process.kill(n.pid, 0)).not.toThrow(); // both processes are running
  // Newest session per member: a node restarted by another file leaves its old session's rows for up to 20 s.
  const newest = new Map<string, MembershipRow>();
  for (const r of membership()) if ((newest.get(`${r.role} ${r.member}`)?.sessionStartMs ?? -1) < r.sessionStartMs) newest.set(`${r.role} ${r.member}`, r);
  const rows = [...newest.values()];
  process.stderr.write(`[cluster] live cluster_membership rows (role member heartbeat-age):\n${rows.map((r) => `  ${r.role.padEnd(9)} ${r.member} ${r.heartbeatAgeSeconds}s`).join('\n')}\n`);
  for (const role of SERVICES) {
    const members = [...new Set(rows.filter((r) => r.role === role).map((r) => r.member))].sort();
    expect({ role, members }).toEqual({ role, members: nodes.map((n) => `127.0.0.1:${n.ports[role].membership}`).sort() });
  }
});

test(`all ${NUM_HISTORY_SHARDS} history shards are owned by the cluster's history hosts`, () => {
  const hosts = new Set(clusterNodes().map(historyHost));
  const owners = shards();
  expect([...owners.keys()].sort()).toEqual(Array.from({ length: NUM_HISTORY_SHARDS }, (_, i) => i + 1));
  for (const owner of owners.values()) expect(hosts).toContain(owner);
});
