// No Docker engine runs here, so the compose file is checked for its wiring: services, versions, ports,
// env names that the config schema really reads, health checks and start order.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { searchAttributeRegistrations } from '../../../src/contract/search-attributes';
import { CONFIG_VARIABLES } from '../../../src/worker/config';

const root = resolve(__dirname, '..', '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  volumes?: string[];
}
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const s = compose.services;

test('has the deployment services', () => {
  expect(Object.keys(s).sort()).toEqual(['codec-server', 'grafana', 'postgresql', 'prometheus', 'temporal', 'temporal-init', 'temporal-schema', 'temporal-ui', 'worker']);
});

test('the codec server: the worker image running `cvmflow codec-server` on the keys the worker mounts, its port on host loopback only, the UI pointed at it', () => {
  const c = s['codec-server']!;
  expect(c.build).toBe('.');
  expect(c.command).toEqual(['node', 'bin/cvmflow.cjs', 'codec-server']);
  expect(c.environment).toMatchObject({ CVMFLOW_CODEC_KEYS_FILE: '/run/secrets/cvmflow-codec-keys.json', CVMFLOW_CODEC_SERVER_ADDRESS: '0.0.0.0:8234' });
  expect(c.environment!.CVMFLOW_CODEC_SERVER_UI_ORIGINS).toContain('http://localhost:8080');
  expect(c.ports).toEqual(['127.0.0.1:8234:8234']);
  const keysMount = (v: string[] | undefined) => v?.find((m) => m.endsWith(':/run/secrets/cvmflow-codec-keys.json:ro'));
  expect(keysMount(c.volumes)).toBeDefined();
  expect(keysMount(c.volumes)).toBe(keysMount(s.worker!.volumes));
  expect(s.worker!.environment!.CVMFLOW_CODEC_KEYS_FILE).toBe('${CVMFLOW_CODEC_KEYS_FILE:+/run/secrets/cvmflow-codec-keys.json}');
  expect(s['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBeDefined();
  expect(c.healthcheck?.test).toBeDefined();
  // Every variable it sets is one the codec-server command reads.
  const usage = readFileSync(resolve(root, 'src', 'client', 'cli', 'codec-server.ts'), 'utf8');
  for (const name of Object.keys(c.environment!)) expect(usage).toContain(name);
});

test('pins the server and UI to the versions the Temporal CLI v1.5.1 embeds', () => {
  expect(s.temporal!.image).toBe('temporalio/server:1.29.1');
  expect(s['temporal-ui']!.image).toBe('temporalio/ui:2.42.1');
  expect(s['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:1\.29\.1-/);
  expect(s.postgresql!.image).toMatch(/^postgres:1[5-9]$/);
});

test('the worker is built from the Dockerfile and reaches the server by its service name', () => {
  expect(s.worker!.build).toBe('.');
  expect(s.worker!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
});

test('every worker env name is one the config schema reads', () => {
  const known = new Set([...CONFIG_VARIABLES]);
  const unknown = Object.keys(s.worker!.environment!).filter((k) => !known.has(k));
  expect(unknown).toEqual([]);
  for (const name of ['PHALA_API_URL', 'PHALA_API_KEY', 'PRISM_API_URL', 'PRISM_TOKEN', 'PRISM_DOMAIN_ID', 'CUDO_API_URL', 'CUDO_API_KEY', 'CUDO_PROJECT_ID']) {
    expect(s.worker!.environment).toHaveProperty(name);
  }
});

test('the server and schema tool use the same database settings', () => {
  for (const svc of ['temporal', 'temporal-schema']) {
    expect(s[svc]!.environment).toMatchObject({ DB: 'postgres12', DB_PORT: '5432', POSTGRES_SEEDS: 'postgresql', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
  }
  expect(s['temporal-schema']!.command!.join('\n')).toMatch(/for db in temporal temporal_visibility/);
});

test('ports: gRPC 7233, UI 8080, metrics 9464', () => {
  expect(s.temporal!.ports).toContain('7233:7233');
  expect(s['temporal-ui']!.ports).toContain('8080:8080');
  expect(s.worker!.ports).toContain('9464:9464');
});

test('long-running services have health checks and start in dependency order', () => {
  for (const svc of ['postgresql', 'temporal', 'temporal-ui', 'worker', 'prometheus', 'grafana']) expect(s[svc]!.healthcheck?.test).toBeDefined();
  expect(s['temporal-schema']!.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
  expect(s.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
  expect(s['temporal-init']!.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  expect(s.worker!.depends_on).toEqual({ 'temporal-init': { condition: 'service_completed_successfully' } });
});

test('temporal-init registers exactly the contract search attributes', () => {
  const script = s['temporal-init']!.command!.join('\n');
  const listed = /for sa in ([^;]+);/.exec(script)![1]!.trim().split(/\s+/);
  expect(listed).toEqual(searchAttributeRegistrations.map((a) => `${a.name}=${a.cliType}`));
});

test('the Dockerfile builds the workflow bundle at image build time and runs the compiled worker', () => {
  const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/RUN npm run build/);
  expect(dockerfile).toMatch(/CMD \["node", "lib\/worker\/main\.js"\]/);
  expect(dockerfile).toMatch(/HEALTHCHECK/);
});
