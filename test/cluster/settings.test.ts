// The cluster's settings and port layout (pure: no process is started).
import { DEFAULT_FRONTEND_PORT, loadClusterSettings, MAX_MEMBERSHIP_PORT, nodePorts, serverConfigYaml, ClusterConfigError } from '../../src/dev/cluster';

test('defaults: role temporal/temporal on 127.0.0.1:5432, databases temporal + temporal_visibility, port 7233, one node', () => {
  const s = loadClusterSettings({});
  expect(s.pg).toMatchObject({ host: '127.0.0.1', port: 5432, user: 'temporal', password: 'temporal', database: 'temporal', visibilityDatabase: 'temporal_visibility' });
  expect(s.pg.admin).toEqual({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  expect(s).toMatchObject({ nodes: 1, basePort: DEFAULT_FRONTEND_PORT, namespace: 'default' });
  expect(s.dataDir).toMatch(/\.temporal\/cluster$/);
});

test('CVMFLOW_PG_URL sets role, host and port; CVMFLOW_PG_PASSWORD wins over the URL password', () => {
  const s = loadClusterSettings({ CVMFLOW_PG_URL: 'postgresql://app:fromurl@db.internal:6543', CVMFLOW_PG_PASSWORD: 'fromenv', CVMFLOW_PG_ADMIN_URL: 'none' });
  expect(s.pg).toMatchObject({ host: 'db.internal', port: 6543, user: 'app', password: 'fromenv' });
  expect(s.pg.admin).toBeUndefined();
  expect(loadClusterSettings({ CVMFLOW_PG_URL: 'postgres://app:fromurl@db.internal' }).pg).toMatchObject({ port: 5432, password: 'fromurl' });
});

test('every problem is one line naming its variable; passwords are not echoed', () => {
  let err: ClusterConfigError | undefined;
  try {
    loadClusterSettings({ CVMFLOW_PG_URL: 'postgres://u:hunter2@h:5432/db', CVMFLOW_PG_DATABASE: 'Bad-Name', CVMFLOW_CLUSTER_NODES: '12' });
  } catch (e) {
    err = e as ClusterConfigError;
  }
  expect(err).toBeInstanceOf(ClusterConfigError);
  expect(err!.problems.map((p) => p.split(' ')[0])).toEqual(['CVMFLOW_PG_URL', 'CVMFLOW_PG_DATABASE', 'CVMFLOW_CLUSTER_NODES']);
  expect(err!.message).not.toContain('hunter2');
  expect(() => loadClusterSettings({ CVMFLOW_PG_DATABASE: 'same', CVMFLOW_PG_VISIBILITY_DATABASE: 'same' })).toThrow(/must differ/);
});

test('node 1 uses the standard server ports, node 2 the same plus 100; membership ports fit a SMALLINT', () => {
  expect(nodePorts(7233, 0)).toEqual({
    frontend: { grpc: 7233, membership: 6933, http: 7243 },
    history: { grpc: 7234, membership: 6934 },
    matching: { grpc: 7235, membership: 6935 },
    worker: { grpc: 7239, membership: 6939 },
  });
  expect(nodePorts(7233, 1).history).toEqual({ grpc: 7334, membership: 7034 });
  expect(nodePorts(7233, 8).worker.membership).toBeLessThanOrEqual(MAX_MEMBERSHIP_PORT);
});

test('the server config carries the shared settings and loads the repository dynamic config', () => {
  const s = loadClusterSettings({});
  const yaml = serverConfigYaml({ pg: s.pg, ports: nodePorts(7233, 1), clusterAddress: '127.0.0.1:7233', ip: '127.0.0.1' });
  expect(yaml).toContain('numHistoryShards: 4');
  expect(yaml).toContain('rpcAddress: 127.0.0.1:7233');
  expect(yaml).toContain('grpcPort: 7333');
  expect(yaml).toMatch(/filepath: .*deploy\/dynamicconfig\/development-sql\.yaml/);
});
