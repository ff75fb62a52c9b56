// All configuration of the worker, read from the environment once and validated with one zod schema.
// Secrets may come from `<NAME>_FILE`; their values are never echoed in errors or logs.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_DEV_SERVER_PORT, DEFAULT_DEV_UI_PORT, DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from '../contract/defaults';
import { DEFAULT_CODEC_SERVER_PORT as DEFAULT_DEV_CODEC_SERVER_PORT } from '../codec/codec-server';
import { loadCodecKeyRing, type CodecKeyRing } from '../codec/key-ring';
import { parseDurationMs } from '../common/duration';
import { resolveTemporalEnv } from '../common/temporal-env';
import { DEFAULT_DEPLOYMENT_NAME, type VersioningConfig } from './versioning';

/** Variables whose values are secret: never printed, redacted from logs. */
export const SECRET_VARIABLES = ['PHALA_API_KEY', 'PRISM_TOKEN', 'CUDO_API_KEY', 'TEMPORAL_API_KEY'] as const;

/**
 * Workflows the worker keeps in its sticky cache. Each costs about 0.35 MiB (the SDK's own share; `npm run bench`
 * measures it): with 250 the worker stayed under +200 MiB with 10,000 teardowns pending (500: +244 MiB), and a
 * workflow beyond the cache is replayed from its history when its next task comes (a few ms for a parked
 * teardown). The SDK's default grows with the heap (about 2,300 with a 4 GiB heap: 800 MiB and more).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

const positiveInt = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number (${what})`)
    .transform(Number)
    .refine((n) => n >= 1, `expected at least 1 (${what})`);

const port = z
  .string()
  .regex(/^\d+$/, 'expected a TCP port number 1-65535')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, 'expected a TCP port number 1-65535');

const httpUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'expected an http(s) URL such as https://api.example.com/v1')
  .transform((s) => s.replace(/\/+$/, ''));

const secret = z.string().min(1, 'must not be empty');

const duration = z
  .string()
  .refine((s) => parseDurationMs(s) !== undefined, 'expected a duration such as 500ms, 30s, 5m or 1h')
  .transform((s) => parseDurationMs(s)!);

const hostPort = z.string().regex(/^[^\s:/]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/, 'expected host:port, e.g. temporal.example.com:7233');

const envSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'expected a namespace name (letters, digits, . _ -)').optional(),
  // A profile of the Temporal config file gives address, namespace, TLS and API key under the variables above.
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional(),
  TEMPORAL_API_KEY: secret.optional(),
  CVMFLOW_TASK_QUEUE: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters').default(DEFAULT_TASK_QUEUE),
  CVMFLOW_MAX_CONCURRENT_ACTIVITIES: positiveInt('activity slots').default(100),
  CVMFLOW_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt('workflow task slots').default(40),
  CVMFLOW_MAX_CACHED_WORKFLOWS: positiveInt('sticky cache size').default(DEFAULT_MAX_CACHED_WORKFLOWS),
  CVMFLOW_SHUTDOWN_GRACE: duration.default(30_000),
  CVMFLOW_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { message: 'expected one of trace, debug, info, warn, error, fatal' }).default('info'),
  CVMFLOW_LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { message: 'expected auto, json or pretty' }).default('auto'),
  CVMFLOW_METRICS_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port to serve Prometheus metrics on, e.g. 0.0.0.0:9464').optional(),
  // How often the teardown gauges (pending, overdue) are counted from visibility; only with metrics on.
  CVMFLOW_TEARDOWN_METRICS_INTERVAL: duration.default(60_000),
  // Traces go by OTLP/HTTP to this collector when set (read by src/observability/tracing.ts; checked here).
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  // Worker Deployment Versioning (src/worker/versioning.ts): off for clusters that do not allow it.
  CVMFLOW_WORKER_VERSIONING: z.enum(['on', 'off'], { message: 'expected on (Worker Deployment Versioning) or off (an unversioned worker)' }).default('on'),
  CVMFLOW_DEPLOYMENT_NAME: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'expected a deployment name (letters, digits, _ -; no . or :)').default(DEFAULT_DEPLOYMENT_NAME),
  // Default: always on the embedded dev server (each restart serves the code you just built), first on a cluster.
  CVMFLOW_DEPLOYMENT_PROMOTE: z.enum(['always', 'first', 'never'], { message: 'expected always, first (only when the deployment has no current version) or never' }).optional(),
  // A workflow bundle file to run instead of lib/workflow-bundle.js (another build of the workflows, e.g. in an image).
  CVMFLOW_WORKFLOW_BUNDLE: z.string().min(1).refine((f) => existsSync(f), 'no such file: point it at a bundle `npm run build` wrote (lib/workflow-bundle.js)').optional(),
  CVMFLOW_DATA_DIR: z.string().min(1).default('.temporal'),
  CVMFLOW_DEV_SERVER_PORT: port.default(DEFAULT_DEV_SERVER_PORT),
  CVMFLOW_DEV_UI_PORT: port.default(DEFAULT_DEV_UI_PORT),
  // Payload encryption: a keys file turns the codec on (src/codec); the dev server's UI then decodes through
  // the codec server npm start runs on this port.
  CVMFLOW_CODEC_KEYS_FILE: z.string().min(1).optional(),
  CVMFLOW_DEV_CODEC_SERVER_PORT: port.default(DEFAULT_DEV_CODEC_SERVER_PORT),
  // auto: the sandbox serves every provider without credentials; off: such providers are disabled.
  // Default: auto on the embedded dev server, off when TEMPORAL_ADDRESS points at a real cluster.
  CVMFLOW_SANDBOX: z.enum(['auto', 'off'], { message: 'expected auto (simulate providers without credentials) or off' }).optional(),
  CVMFLOW_SANDBOX_HOST: z.string().default('127.0.0.1'),
  // How fast sandbox state machines move: 1 is realistic pacing, 10 is ten times faster.
  CVMFLOW_SANDBOX_SPEED: z.string().regex(/^\d+(\.\d+)?$/, 'expected a positive number, e.g. 1 or 10').transform(Number).refine((n) => n > 0, 'expected a positive number').default(1),
  CVMFLOW_SECRETS_DIR: z.string().min(1).optional(),
  // Attestation collateral (VCEK, TDX collateral) not inside the evidence: a cache folder, and whether
  // the vendors' endpoints (AMD KDS, Intel PCS) may be asked for what the cache lacks.
  CVMFLOW_COLLATERAL_DIR: z.string().min(1).optional(),
  // A PEM file with an extra AMD-style root (ARK) to trust: only for a sandbox that runs outside this
  // worker (tests, demos). Never set it in production.
  CVMFLOW_TRUST_SANDBOX_ROOT_FILE: z.string().min(1).optional(),
  CVMFLOW_COLLATERAL_FETCH: z.enum(['true', 'false'], { message: 'expected true or false' }).default('false').transform((v) => v === 'true'),
  PHALA_API_URL: httpUrl.optional(),
  PHALA_API_KEY: secret.optional(),
  PRISM_API_URL: httpUrl.optional(),
  PRISM_TOKEN: secret.optional(),
  PRISM_DOMAIN_ID: z.string().min(1).regex(/^[A-Za-z0-9-]+$/, 'expected a domain id (letters, digits, -)').optional(),
  CUDO_API_URL: httpUrl.optional(),
  CUDO_API_KEY: secret.optional(),
  CUDO_PROJECT_ID: z.string().min(1).regex(/^[a-z0-9-]+$/, 'expected a CUDO project id (lowercase letters, digits, -)').optional(),
});

export type ProviderName = 'phala' | 'prism' | 'cudo';

export interface ProviderEndpointConfig {
  /** Base URL, or undefined when the provider is served by the sandbox. */
  url?: string;
  token?: string;
}

export interface CvmflowConfig {
  temporal: {
    /** Undefined: the embedded dev server is started. From TEMPORAL_ADDRESS, else the Temporal profile. */
    address?: string;
    namespace: string;
    apiKey?: string;
  };
  taskQueue: string;
  worker: {
    maxConcurrentActivityTaskExecutions: number;
    maxConcurrentWorkflowTaskExecutions: number;
    /** Sticky cache size: workflows kept in memory between tasks (default DEFAULT_MAX_CACHED_WORKFLOWS). */
    maxCachedWorkflows: number;
    shutdownGraceTimeMs: number;
  };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'; format: 'auto' | 'json' | 'pretty' };
  /** Prometheus endpoint of the Temporal Runtime's metrics; undefined: none. */
  metricsAddress?: string;
  /** Interval of the teardown gauges' visibility counts. */
  teardownMetricsIntervalMs: number;
  versioning: VersioningConfig;
  /** The workflow bundle to run; undefined: lib/workflow-bundle.js, else the source. */
  workflowBundle?: string;
  devServer: { dataDir: string; port: number; uiPort: number };
  sandbox: { mode: 'auto' | 'off'; host: string; speed: number };
  /** The payload codec's key ring (undefined: off), and the port of the codec server next to the dev server. */
  codec: { keyRing?: CodecKeyRing; devServerPort: number };
  /** Folder whose files `file:<name>` secret references read. */
  secretsDir?: string;
  collateral: { cacheDir?: string; allowNetwork: boolean };
  /** An extra attestation root to trust (explicitly configured sandbox outside this worker). */
  trustSandboxRootFile?: string;
  providers: {
    phala: ProviderEndpointConfig;
    prism: ProviderEndpointConfig & { domainId?: string };
    cudo: ProviderEndpointConfig & { projectId?: string };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Resolve `<NAME>_FILE` for secrets; problems are collected, not thrown one by one. */
function resolveSecretFiles(env: Env, problems: string[]): Env {
  const out: Env = { ...env };
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set: set only one of them`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): point it at a readable file holding the secret`);
    }
  }
  return out;
}

/** Empty strings count as unset, as shells and compose files produce them. */
function dropEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

export function loadConfig(rawEnv: Env = process.env): CvmflowConfig {
  const problems: string[] = [];
  const env = dropEmpty(resolveSecretFiles(rawEnv, problems));
  const known = Object.keys(envSchema.shape);
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([k]) => known.includes(k))));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      const isSecret = (SECRET_VARIABLES as readonly string[]).includes(name);
      const got = isSecret ? '' : ` (got ${JSON.stringify(env[name])})`;
      problems.push(`${name}: ${issue.message}${got}`);
    }
  }
  if (parsed.success) {
    // A secret whose _FILE failed is already reported; do not also call it missing.
    const unreadable = (name: string) => problems.some((p) => p.startsWith(`${name}_FILE:`) || p.startsWith(`${name} and`));
    problems.push(...pairingProblems(parsed.data).filter((p) => !SECRET_VARIABLES.some((s) => p.startsWith(`${s}:`) && unreadable(s))));
  }
  // Address and namespace: environment first, then the Temporal profile (as the temporal CLI does).
  let temporal: ReturnType<typeof resolveTemporalEnv> | undefined;
  let keyRing: CodecKeyRing | undefined;
  if (parsed.success) {
    try {
      temporal = resolveTemporalEnv({}, env, { namespace: DEFAULT_NAMESPACE });
    } catch (err) {
      problems.push((err as Error).message);
    }
    try {
      keyRing = parsed.data.CVMFLOW_CODEC_KEYS_FILE ? loadCodecKeyRing(parsed.data.CVMFLOW_CODEC_KEYS_FILE) : undefined;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data!;
  const address = temporal!.address;
  return {
    temporal: { address, namespace: temporal!.namespace, apiKey: e.TEMPORAL_API_KEY },
    taskQueue: e.CVMFLOW_TASK_QUEUE,
    worker: {
      maxConcurrentActivityTaskExecutions: e.CVMFLOW_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: e.CVMFLOW_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: e.CVMFLOW_MAX_CACHED_WORKFLOWS,
      shutdownGraceTimeMs: e.CVMFLOW_SHUTDOWN_GRACE,
    },
    log: { level: e.CVMFLOW_LOG_LEVEL, format: e.CVMFLOW_LOG_FORMAT },
    metricsAddress: e.CVMFLOW_METRICS_ADDRESS,
    teardownMetricsIntervalMs: e.CVMFLOW_TEARDOWN_METRICS_INTERVAL,
    workflowBundle: e.CVMFLOW_WORKFLOW_BUNDLE,
    versioning: { mode: e.CVMFLOW_WORKER_VERSIONING, deploymentName: e.CVMFLOW_DEPLOYMENT_NAME, promote: e.CVMFLOW_DEPLOYMENT_PROMOTE ?? (address ? 'first' : 'always') },
    devServer: { dataDir: e.CVMFLOW_DATA_DIR, port: e.CVMFLOW_DEV_SERVER_PORT, uiPort: e.CVMFLOW_DEV_UI_PORT },
    sandbox: { mode: e.CVMFLOW_SANDBOX ?? (address ? 'off' : 'auto'), host: e.CVMFLOW_SANDBOX_HOST, speed: e.CVMFLOW_SANDBOX_SPEED },
    codec: { keyRing, devServerPort: e.CVMFLOW_DEV_CODEC_SERVER_PORT },
    secretsDir: e.CVMFLOW_SECRETS_DIR,
    collateral: { cacheDir: e.CVMFLOW_COLLATERAL_DIR, allowNetwork: e.CVMFLOW_COLLATERAL_FETCH },
    trustSandboxRootFile: e.CVMFLOW_TRUST_SANDBOX_ROOT_FILE,
    providers: {
      phala: { url: e.PHALA_API_URL, token: e.PHALA_API_KEY },
      prism: { url: e.PRISM_API_URL, token: e.PRISM_TOKEN, domainId: e.PRISM_DOMAIN_ID },
      cudo: { url: e.CUDO_API_URL, token: e.CUDO_API_KEY, projectId: e.CUDO_PROJECT_ID },
    },
  };
}

/** A provider is either fully configured for a real API or left to the sandbox; half a configuration is an error. */
function pairingProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  const pairs: Array<[string, unknown, string, unknown]> = [
    ['PHALA_API_URL', e.PHALA_API_URL, 'PHALA_API_KEY', e.PHALA_API_KEY],
    ['PRISM_API_URL', e.PRISM_API_URL, 'PRISM_TOKEN', e.PRISM_TOKEN],
    ['CUDO_API_URL', e.CUDO_API_URL, 'CUDO_API_KEY', e.CUDO_API_KEY],
  ];
  for (const [urlName, url, tokenName, token] of pairs) {
    if (url !== undefined && token === undefined) problems.push(`${tokenName}: required when ${urlName} is set (or unset ${urlName} to use the sandbox)`);
    if (token !== undefined && url === undefined) problems.push(`${urlName}: required when ${tokenName} is set (the provider's API base URL)`);
  }
  if (e.PRISM_API_URL !== undefined && e.PRISM_DOMAIN_ID === undefined) problems.push('PRISM_DOMAIN_ID: required when PRISM_API_URL is set (your Prism domain id)');
  if (e.CUDO_API_URL !== undefined && e.CUDO_PROJECT_ID === undefined) problems.push('CUDO_PROJECT_ID: required when CUDO_API_URL is set (the CUDO project to create VMs in)');
  return problems;
}

/** Names of every variable the schema reads: the README table and the compose test check against it. */
export const CONFIG_VARIABLES: readonly string[] = [...Object.keys(envSchema.shape), ...SECRET_VARIABLES.map((s) => `${s}_FILE`)];
