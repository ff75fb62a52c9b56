// A bad database URL or an unreachable PostgreSQL stops the cluster with ONE line naming what to fix,
// both through the API (ClusterError / ClusterConfigError) and through `npm run cluster` (no stack trace).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ClusterConfigError, ClusterError, startCluster } from '../../src/dev/cluster';

const root = resolve(__dirname, '..', '..');
const env = (vars: Record<string, string>) => ({ ...process.env, CVMFLOW_PG_DATABASE: undefined, CVMFLOW_PG_VISIBILITY_DATABASE: undefined, CVMFLOW_PG_ADMIN_URL: undefined, ...vars });

test('a refused port names the URL variable and how to start the local PostgreSQL', async () => {
  const err = (await startCluster({ env: env({ CVMFLOW_PG_URL: 'postgres://temporal@127.0.0.1:1' }), log: () => undefined }).catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(ClusterError);
  expect(err.message).not.toContain('\n');
  expect(err.message).toMatch(/^PostgreSQL is not reachable at 127\.0\.0\.1:1 \(connection refused\): .*CVMFLOW_PG_URL/);
});

test.each([
  ['not a URL', 'expected a URL such as postgres://'],
  ['mysql://temporal@127.0.0.1:3306', 'expected a postgres:// URL'],
  ['postgres://temporal@127.0.0.1:5432/temporal', 'must not name a database'],
  ['postgres://temporal@127.0.0.1:99999', 'expected a URL such as'],
])('CVMFLOW_PG_URL=%s is rejected in one line', async (url, expected) => {
  const err = (await startCluster({ env: env({ CVMFLOW_PG_URL: url }), log: () => undefined }).catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(ClusterConfigError);
  expect(err.message).not.toContain('\n');
  expect(err.message).toMatch(/^CVMFLOW_PG_URL/);
  expect(err.message).toContain(expected);
});

test('the password in a bad URL is not echoed', async () => {
  const err = (await startCluster({ env: env({ CVMFLOW_PG_URL: 'http://temporal:s3cret@127.0.0.1:5432' }), log: () => undefined }).catch((e: unknown) => e)) as Error;
  expect(err.message).not.toContain('s3cret');
});

test('npm run cluster prints one line and exits non-zero when PostgreSQL is unreachable', () => {
  const r = spawnSync(process.execPath, [resolve(root, 'scripts', 'cluster.cjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 170_000,
    env: env({ CVMFLOW_PG_URL: 'postgres://temporal@127.0.0.1:1' }),
  });
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('cvmflow cluster:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cvmflow cluster: PostgreSQL is not reachable at 127\.0\.0\.1:1 \(connection refused\)/);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.status).toBe(1);
});

test('npm run cluster rejects a bad URL with exit code 2', () => {
  const r = spawnSync(process.execPath, [resolve(root, 'scripts', 'cluster.cjs')], { cwd: root, encoding: 'utf8', timeout: 170_000, env: env({ CVMFLOW_PG_URL: 'postgres//oops' }) });
  expect(r.stderr.trim().split('\n').pop()).toMatch(/^cvmflow cluster: CVMFLOW_PG_URL \(got postgres\/\/oops\): expected a URL such as postgres:\/\/temporal@127\.0\.0\.1:5432$/);
  expect(r.status).toBe(2);
});
