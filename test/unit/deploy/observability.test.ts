// The metrics stack of docker-compose, checked for its wiring (no Docker engine runs here): Prometheus
// scrapes the worker's metrics port, Grafana gets that Prometheus and the cvmflow dashboard, and the
// dashboard shows every cvmflow metric and only metrics that exist.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { METRICS } from '../../../src/observability/metric-names';

const root = resolve(__dirname, '..', '..', '..');
const yaml = (path: string) => parse(readFileSync(resolve(root, path), 'utf8'), { merge: true }) as Record<string, unknown>;
interface Service {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
const services = (yaml('docker-compose.yml') as { services: Record<string, Service> }).services;
const dashboard = JSON.parse(readFileSync(resolve(root, 'deploy', 'grafana', 'cvmflow.json'), 'utf8')) as {
  uid: string;
  templating: { list: Array<{ name: string; current?: { value?: string } }> };
  panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string; datasource: { uid: string } }> }>;
};

/** `host:container` → the container side of a volume, keyed by the host path. */
const mounts = (svc: Service) => Object.fromEntries((svc.volumes ?? []).map((v) => v.split(':')).map(([host, container]) => [host!, container!]));

test('Prometheus scrapes every worker on the port the worker serves its metrics on', () => {
  const port = services.worker!.environment!.CVMFLOW_METRICS_ADDRESS!.split(':')[1];
  const config = yaml('deploy/prometheus/prometheus.yml') as { scrape_configs: Array<{ job_name: string; metrics_path: string; dns_sd_configs: Array<{ names: string[]; port: number }> }> };
  const job = config.scrape_configs.find((j) => j.job_name === 'cvmflow-worker')!;
  expect(job.metrics_path).toBe('/metrics');
  expect(job.dns_sd_configs).toEqual([expect.objectContaining({ names: ['worker'], port: Number(port) })]);
  const prometheus = services.prometheus!;
  expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
  expect(mounts(prometheus)['./deploy/prometheus/prometheus.yml']).toBe('/etc/prometheus/prometheus.yml');
  expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  expect(prometheus.ports).toContain('9090:9090');
});

test('Grafana is provisioned with that Prometheus and the dashboard', () => {
  const grafana = services.grafana!;
  expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  expect(grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
  const m = mounts(grafana);
  expect(m['./deploy/grafana/provisioning']).toBe('/etc/grafana/provisioning');
  const datasources = yaml('deploy/grafana/provisioning/datasources/prometheus.yml') as { datasources: Array<{ uid: string; type: string; url: string }> };
  expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
  const providers = yaml('deploy/grafana/provisioning/dashboards/cvmflow.yml') as { providers: Array<{ options: { path: string } }> };
  expect(m['./deploy/grafana/cvmflow.json']).toBe(`${providers.providers[0]!.options.path}/cvmflow.json`);
  // The dashboard's default data source is the provisioned one; every panel goes through that variable.
  expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.current?.value).toBe(datasources.datasources[0]!.uid);
  for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
    expect([p.title, p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource.uid)]).toEqual([p.title, '${datasource}', ...(p.targets ?? []).map(() => '${datasource}')]);
  }
});

test('the dashboard shows every cvmflow metric, and no metric that does not exist', () => {
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  expect(exprs.length).toBeGreaterThan(0);
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(cvmflow_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''))));
  expect([...used].sort()).toEqual(Object.values(METRICS).sort());
});
