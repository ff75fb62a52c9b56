// docker-compose.yml and the native cluster (`npm run cluster`, src/dev/cluster) are two ways to run the
// same deployment: same server and UI versions, databases, frontend port, database env names and defaults,
// dynamic config file, shard count and namespace retention. Nothing here starts a process.
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEV_SERVER_TRANSFER_READS, WORKER_VERSIONING_DYNAMIC_CONFIG } from '../../../src/worker/dev-server';
import {
  DEFAULT_DATABASE,
  DEFAULT_FRONTEND_PORT,
  DEFAULT_PG_PASSWORD,
  DEFAULT_PG_PORT,
  DEFAULT_PG_USER,
  DEFAULT_VISIBILITY_DATABASE,
  DYNAMIC_CONFIG_FILE,
  loadClusterSettings,
  NAMESPACE_RETENTION,
  nodePorts,
  NUM_HISTORY_SHARDS,
  serverConfig,
  serverImageDbEnv,
  SQL_PLUGIN,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
} from '../../../src/dev/cluster';

const root = resolve(__dirname, '..', '..', '..');
interface Service {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  command?: string[];
}
const raw = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
const compose = parse(raw, { merge: true }) as { services: Record<string, Service> };
const s = compose.services;

/** Compose's `${NAME:-default}` interpolation with nothing set in the environment. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const env = (svc: string) => Object.fromEntries(Object.entries(s[svc]!.environment ?? {}).map(([k, v]) => [k, withDefaults(String(v))]));

const settings = loadClusterSettings({});
const nativeConfig = serverConfig({ pg: settings.pg, ports: nodePorts(settings.basePort, 0), clusterAddress: `127.0.0.1:${settings.basePort}`, ip: '127.0.0.1' }) as {
  persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string; user: string; password: string; connectAddr: string } }> };
  dynamicConfigClient: { filepath: string };
  services: { frontend: { rpc: { grpcPort: number } } };
};

test(`same server (${TEMPORAL_SERVER_VERSION}) and UI (${TEMPORAL_UI_VERSION}) versions`, () => {
  expect(s.temporal!.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
  expect(s['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  expect(s['temporal-schema']!.image).toMatch(new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}-`));
  expect(s['temporal-init']!.image).toBe(s['temporal-schema']!.image);
});

test('same database names, in the server, the schema tool and the native config', () => {
  for (const svc of ['temporal', 'temporal-schema']) expect(env(svc)).toMatchObject({ DBNAME: DEFAULT_DATABASE, VISIBILITY_DBNAME: DEFAULT_VISIBILITY_DATABASE });
  expect(s['temporal-schema']!.command!.join('\n')).toContain(`for db in ${DEFAULT_DATABASE} ${DEFAULT_VISIBILITY_DATABASE}`);
  const stores = Object.values(nativeConfig.persistence.datastores).map((d) => d.sql.databaseName);
  expect(stores).toEqual([DEFAULT_DATABASE, DEFAULT_VISIBILITY_DATABASE]);
});

test(`same frontend port ${DEFAULT_FRONTEND_PORT} by default`, () => {
  expect(s.temporal!.ports).toContain(`${DEFAULT_FRONTEND_PORT}:${DEFAULT_FRONTEND_PORT}`);
  expect(env('worker').TEMPORAL_ADDRESS).toBe(`temporal:${DEFAULT_FRONTEND_PORT}`);
  expect(settings.basePort).toBe(DEFAULT_FRONTEND_PORT);
  expect(nativeConfig.services.frontend.rpc.grpcPort).toBe(DEFAULT_FRONTEND_PORT);
});

test('same database env names and defaults as the server image reads', () => {
  const native = serverImageDbEnv(settings.pg);
  const composed = env('temporal');
  // Only the host differs: the compose service name against the native 127.0.0.1.
  expect(composed.POSTGRES_SEEDS).toBe('postgresql');
  const { POSTGRES_SEEDS: _seeds, ...nativeRest } = native;
  expect(Object.fromEntries(Object.keys(nativeRest).map((k) => [k, composed[k]]))).toEqual(nativeRest);
  expect(env('temporal-schema')).toMatchObject({ DB: SQL_PLUGIN, DB_PORT: String(DEFAULT_PG_PORT), POSTGRES_USER: DEFAULT_PG_USER, SQL_PASSWORD: DEFAULT_PG_PASSWORD });
  // The host-side variables compose interpolates default to the native cluster's role and password.
  expect(env('postgresql')).toMatchObject({ POSTGRES_USER: DEFAULT_PG_USER, POSTGRES_PASSWORD: DEFAULT_PG_PASSWORD });
  expect(raw).toContain(`\${POSTGRES_USER:-${DEFAULT_PG_USER}}`);
  expect(raw).toContain(`\${POSTGRES_PASSWORD:-${DEFAULT_PG_PASSWORD}}`);
  const sql = Object.values(nativeConfig.persistence.datastores).map((d) => d.sql);
  for (const d of sql) expect(d).toMatchObject({ pluginName: composed.DB, user: composed.POSTGRES_USER, password: composed.POSTGRES_PWD, connectAddr: `127.0.0.1:${composed.DB_PORT}` });
});

test('same dynamic config file: mounted into the server container, loaded natively through dynamicConfigClient.filepath', () => {
  const inContainer = env('temporal').DYNAMIC_CONFIG_FILE_PATH!; // relative to /etc/temporal
  const mount = s.temporal!.volumes!.map((v) => v.split(':')).find(([, target]) => `/etc/temporal/${inContainer}`.startsWith(`${target}/`));
  expect(mount).toBeDefined();
  const onHost = resolve(root, mount![0]!, basename(inContainer));
  expect(nativeConfig.dynamicConfigClient.filepath).toBe(DYNAMIC_CONFIG_FILE);
  expect(DYNAMIC_CONFIG_FILE).toBe(onHost);
  expect(existsSync(onHost)).toBe(true);
  expect(parse(readFileSync(onHost, 'utf8'))).toHaveProperty(['limit.maxIDLength']);
});

test('Worker Deployment Versioning is enabled alike: dev server flags, native cluster and compose (one file)', () => {
  const yaml = parse(readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, Array<{ value: unknown }>>;
  expect(Object.keys(WORKER_VERSIONING_DYNAMIC_CONFIG).length).toBeGreaterThan(0);
  for (const [key, value] of Object.entries(WORKER_VERSIONING_DYNAMIC_CONFIG)) expect([key, yaml[key]?.[0]?.value]).toEqual([key, value]);
});

test('history shards read new tasks as often alike (not the default 20 a second): dev server flags, native cluster and compose', () => {
  const yaml = parse(readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, Array<{ value: unknown }>>;
  expect(DEV_SERVER_TRANSFER_READS['history.transferProcessorMaxPollRPS']).toBeGreaterThan(20);
  for (const [key, value] of Object.entries(DEV_SERVER_TRANSFER_READS)) expect([key, yaml[key]?.[0]?.value]).toEqual([key, value]);
});

test(`same shard count (${NUM_HISTORY_SHARDS})`, () => {
  expect(env('temporal').NUM_HISTORY_SHARDS).toBe(String(NUM_HISTORY_SHARDS));
  expect(nativeConfig.persistence.numHistoryShards).toBe(NUM_HISTORY_SHARDS);
});

test('same namespace retention', () => {
  expect(s['temporal-init']!.command!.join('\n')).toContain(`--retention ${NAMESPACE_RETENTION}`);
});

// `temporal operator search-attribute create` in CLI 1.5.x has no `--yes`; with it, `|| true` would hide the
// error and compose would never register the search attributes the native cluster registers.
test('compose registers the search attributes with flags the CLI accepts', () => {
  const line = s['temporal-init']!.command!.join('\n').split('\n').find((l) => l.includes('search-attribute create'))!;
  expect(line).toMatch(/--name "\$\$\{sa%=\*\}" --type "\$\$\{sa#\*=\}"/);
  expect(line).not.toMatch(/--yes/);
});
