// The embedded Temporal dev server: `temporal server start-dev` with cvmflow's search attributes, health-checked.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { searchAttributeRegistrations } from '../contract/search-attributes';

/**
 * Worker Deployment Versioning (src/worker/versioning.ts). Both keys default to true in server 1.29.1 (and the dev
 * server of CLI 1.5.1, which embeds it); they are stated so a server whose defaults differ still allows it.
 * deploy/dynamicconfig/development-sql.yaml sets the same for `npm run cluster` and docker compose.
 */
export const WORKER_VERSIONING_DYNAMIC_CONFIG = { 'system.enableDeploymentVersions': true, 'frontend.workerVersioningWorkflowAPIs': true } as const;

/**
 * The dev server has one history shard, and history reads a shard's transfer queue (the tasks that hand a workflow
 * or activity task to matching) at most `history.transferProcessorMaxPollRPS` times a second, 20 by default, through
 * a token bucket. With one shard, once a few workflows run back to back the bucket is empty and every workflow task
 * waits up to 50 ms in history before matching hands it to a poller that is already waiting: a lifecycle of three
 * workflow tasks took about 150 ms instead of 50 to 90. A cluster spreads workflows over many shards, each with its own
 * bucket; 1,000 a second lets the one shard here behave like that. Reads still happen only when there is work.
 * deploy/dynamicconfig/development-sql.yaml sets the same for `npm run cluster` and docker compose (4 shards).
 */
export const DEV_SERVER_TRANSFER_READS = { 'history.transferProcessorMaxPollRPS': 1_000 } as const;

export interface DevServerOptions {
  cli: string;
  ip?: string;
  port: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /** Remote codec endpoint the Web UI decodes payloads through (cvmflow's codec server). */
  uiCodecEndpoint?: string;
  /** SQLite file; undefined keeps everything in memory. */
  dbFile?: string;
  namespace: string;
  logFile: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  healthTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export class DevServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevServerError';
  }
}

/** Resolves to true when nothing listens on ip:port. */
export function portIsFree(port: number, ip = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, ip, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now. */
export function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function healthy(cli: string, address: string): boolean {
  const r = spawnSync(cli, ['operator', 'cluster', 'health', '--address', address], { encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 && r.stdout.includes('SERVING');
}

/** Registers every search attribute; exit 1 with "already" is fine, a different type is an error. */
export function registerSearchAttributes(cli: string, address: string, namespace: string): void {
  for (const { name, cliType } of searchAttributeRegistrations) {
    const r = spawnSync(cli, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', name, '--type', cliType], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    if (r.status !== 0) {
      const list = spawnSync(cli, ['operator', 'search-attribute', 'list', '--address', address, '--namespace', namespace, '-o', 'json'], { encoding: 'utf8', timeout: 15_000 });
      const registered = list.status === 0 && new RegExp(`"${name}"\\s*:\\s*"(INDEXED_VALUE_TYPE_)?${cliType.toUpperCase()}"`, 'i').test(list.stdout);
      if (!registered) throw new DevServerError(`could not register search attribute ${name} (${cliType}): ${(r.stderr || r.stdout).trim()}`);
    }
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const address = `${ip}:${opts.port}`;
  if (!(await portIsFree(opts.port, ip))) {
    throw new DevServerError(`port ${opts.port} on ${ip} is already in use (another Temporal server or cvmflow?): stop it, set CVMFLOW_DEV_SERVER_PORT to another port, or set TEMPORAL_ADDRESS=${address} to use that server`);
  }
  if (opts.uiPort !== undefined && !(await portIsFree(opts.uiPort, ip))) {
    throw new DevServerError(`UI port ${opts.uiPort} on ${ip} is already in use: stop whatever listens there or set CVMFLOW_DEV_UI_PORT to another port`);
  }
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(opts.port), '--namespace', opts.namespace, '--log-level', 'warn'];
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.uiPort !== undefined && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const { name, cliType } of searchAttributeRegistrations) args.push('--search-attribute', `${name}=${cliType}`);
  const dynamic = { 'limit.maxIDLength': 255, 'system.enableActivityEagerExecution': true, ...WORKER_VERSIONING_DYNAMIC_CONFIG, ...DEV_SERVER_TRANSFER_READS, ...opts.dynamicConfig };
  for (const [k, v] of Object.entries(dynamic)) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);

  mkdirSync(dirname(opts.logFile), { recursive: true });
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exited: number | string | null | undefined;
  child.once('exit', (code, signal) => (exited = code ?? signal));

  const deadline = Date.now() + (opts.healthTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) throw new DevServerError(`the Temporal dev server exited (${exited}) before it was healthy; last lines of ${opts.logFile}:\n${logTail(opts.logFile)}`);
    if (healthy(opts.cli, address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new DevServerError(`the Temporal dev server was not healthy after ${(opts.healthTimeoutMs ?? 30_000) / 1000}s; last lines of ${opts.logFile}:\n${logTail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  // Flags only apply to a fresh database; an existing one gets newer attributes registered here.
  registerSearchAttributes(opts.cli, address, opts.namespace);

  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== undefined) return resolve();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(killer);
        out.end();
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { address, uiUrl: opts.uiPort !== undefined ? `http://${ip}:${opts.uiPort}` : undefined, child, stop };
}
