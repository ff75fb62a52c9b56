// A real Temporal cluster on PostgreSQL: one or more `server` processes (each running frontend, history,
// matching and worker) sharing two databases; peers find each other through the cluster_membership table.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { searchAttributeRegistrations } from '../../contract/search-attributes';
import { portIsFree } from '../../worker/dev-server';
import { resolveTemporalCli } from '../toolchain/temporal-cli';
import { postgresSchemaDirs, resolveTemporalServerTools, type ServerTools } from '../toolchain/temporal-server';
import { NAMESPACE_RETENTION, SERVICES } from './constants';
import { assertReachable, ClusterError, clusterMembership, databaseExists, dropDatabases, ensureRole, MEMBER_HEARTBEAT_CUTOFF_SECONDS, tableExists, type MembershipRow } from './postgres';
import { applySchema, type SchemaDirs } from './schema';
import { allPorts, freeBasePort, MAX_MEMBERSHIP_PORT, nodePorts, serverConfigYaml, type NodePorts } from './server-config';
import { loadClusterSettings, type ClusterSettings, type PgSettings } from './settings';

export interface StartClusterOptions {
  /** Server processes (default CVMFLOW_CLUSTER_NODES, else 1). */
  nodes?: number;
  /** Frontend gRPC port of node 1 (default CVMFLOW_CLUSTER_PORT, else 7233); 0 picks free ports. */
  basePort?: number;
  /** Folder for each node's config and log (default CVMFLOW_CLUSTER_DIR, else .temporal/cluster). */
  dataDir?: string;
  /** Overrides of the PostgreSQL settings read from the environment (e.g. per-run database names). */
  pg?: Partial<PgSettings>;
  namespace?: string;
  /** Environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** The server's own log level, written to each node's server.log (default info). */
  serverLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  healthTimeoutMs?: number;
  /** Binaries, when the caller resolved them already. */
  cli?: string;
  tools?: ServerTools;
  schemaDirs?: SchemaDirs;
}

export interface ClusterProcess {
  /** 1-based node number. */
  node: number;
  pid: number;
  /** host:port of this node's frontend. */
  address: string;
  ports: NodePorts;
  logFile: string;
  configFile: string;
  child: ChildProcess;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | string>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface Cluster {
  /** The first node's frontend. */
  address: string;
  addresses: string[];
  namespace: string;
  processes: ClusterProcess[];
  settings: ClusterSettings;
  cli: string;
  /** Milliseconds from the first server spawn to every node healthy with the namespace registered. */
  startMs: number;
  /** The live rows of cluster_membership. */
  membership(): MembershipRow[];
  /** SIGTERM every process, SIGKILL after a grace period; idempotent. */
  stop(): Promise<void>;
  /** Stops the cluster, then drops both databases (tests with per-run databases). */
  dropDatabases(): Promise<void>;
}

const IP = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(file: string, args: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number(err.code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function settingsFor(opts: StartClusterOptions): ClusterSettings {
  const base = loadClusterSettings(opts.env ?? process.env);
  const settings: ClusterSettings = {
    ...base,
    pg: { ...base.pg, ...opts.pg },
    nodes: opts.nodes ?? base.nodes,
    basePort: opts.basePort ?? base.basePort,
    dataDir: opts.dataDir ?? base.dataDir,
    namespace: opts.namespace ?? base.namespace,
  };
  if (!Number.isInteger(settings.nodes) || settings.nodes < 1 || settings.nodes > 9) throw new ClusterError(`nodes must be 1-9 (got ${settings.nodes})`);
  return settings;
}

/** The pid of a server a previous run started from this folder that is still running (an orphan), if any. */
function leftoverServer(settings: ClusterSettings, node: number): number | undefined {
  const root = join(settings.dataDir, `node-${node}`);
  try {
    const pid = Number(readFileSync(join(root, 'server.pid'), 'utf8'));
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(root) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function choosePorts(settings: ClusterSettings): Promise<NodePorts[]> {
  const base = settings.basePort === 0 ? await freeBasePort(settings.nodes, IP) : settings.basePort;
  const layout = Array.from({ length: settings.nodes }, (_, i) => nodePorts(base, i));
  const top = Math.max(...layout.flatMap(allPorts));
  const topMembership = Math.max(...layout.flatMap((p) => SERVICES.map((s) => p[s].membership)));
  if (top > 65535 || topMembership > MAX_MEMBERSHIP_PORT || base - 300 < 1024) {
    throw new ClusterError(
      `port ${base} does not fit ${settings.nodes} node(s): membership ports (300 below the gRPC ports, +100 per node) must lie in 1024-${MAX_MEMBERSHIP_PORT}, as Temporal stores them as SMALLINT; choose a CVMFLOW_CLUSTER_PORT / --base-port between 1324 and ${MAX_MEMBERSHIP_PORT + 300 - 6 - 100 * (settings.nodes - 1)}`,
    );
  }
  for (const [i, p] of layout.entries()) {
    for (const port of allPorts(p)) {
      if (!(await portIsFree(port, IP))) {
        const orphan = leftoverServer(settings, i + 1);
        if (orphan !== undefined) throw new ClusterError(`port ${port} (node ${i + 1}) is held by a Temporal server an earlier run started from ${settings.dataDir} (pid ${orphan}): stop that run, or \`kill ${orphan}\``);
        throw new ClusterError(
          `port ${port} (node ${i + 1}) on ${IP} is already in use (a cluster, dev server or \`npm start\` still running?): stop it, or set CVMFLOW_CLUSTER_PORT / --base-port to another first frontend port (node n uses that +100·(n-1), and 300 below for membership)`,
        );
      }
    }
  }
  return layout;
}

/** The server's own explanation of why it stopped: the last fatal or error message of its JSON log. */
function whyItStopped(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
  const lines = text.trimEnd().split('\n');
  for (const level of ['fatal', 'error']) {
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const entry = JSON.parse(lines[i]!) as { level?: string; msg?: string; error?: string };
        if (entry.level === level) return `${entry.msg ?? ''}${entry.error ? `: ${entry.error}` : ''}`;
      } catch {
        /* not JSON (panic output): handled below */
      }
    }
  }
  return lines.slice(-3).map((l) => l.slice(0, 300)).join(' | ');
}

/** Polls `temporal operator cluster health` on the node's frontend until SERVING. */
export async function waitHealthy(cli: string, proc: ClusterProcess, deadline: number): Promise<void> {
  let last = '';
  for (;;) {
    if (!proc.alive()) throw new ClusterError(`Temporal server node ${proc.node} exited before it was healthy: ${whyItStopped(proc.logFile)} (log: ${proc.logFile})`);
    const r = await run(cli, ['operator', 'cluster', 'health', '--address', proc.address], 5_000);
    if (r.code === 0 && r.stdout.includes('SERVING')) return;
    last = (r.stderr || r.stdout).trim();
    if (Date.now() > deadline) throw new ClusterError(`Temporal server node ${proc.node} (${proc.address}) was not healthy in time (${last}); last server error: ${whyItStopped(proc.logFile)} (log: ${proc.logFile})`);
    await sleep(250);
  }
}

/** Creates the namespace when missing and waits until every frontend serves it. */
async function ensureNamespace(cli: string, addresses: string[], namespace: string, deadline: number): Promise<void> {
  const first = addresses[0]!;
  const described = await run(cli, ['operator', 'namespace', 'describe', '--address', first, '-n', namespace], 15_000);
  if (described.code !== 0) {
    const created = await run(cli, ['operator', 'namespace', 'create', '--address', first, '-n', namespace, '--retention', NAMESPACE_RETENTION], 15_000);
    if (created.code !== 0 && !/already/i.test(created.stderr + created.stdout)) throw new ClusterError(`could not create the namespace ${namespace}: ${(created.stderr || created.stdout).trim()}`);
  }
  // Frontends learn new namespaces from their registry refresh; wait until each one answers for it.
  for (const address of addresses) {
    for (;;) {
      const r = await run(cli, ['workflow', 'count', '--address', address, '-n', namespace], 10_000);
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new ClusterError(`the namespace ${namespace} is not served by ${address} in time: ${(r.stderr || r.stdout).trim()}`);
      await sleep(500);
    }
  }
}

/**
 * Registers cvmflow's search attributes (src/contract/search-attributes.ts) on the namespace; those
 * already registered with the same type are fine, another type is an error.
 */
export async function registerClusterSearchAttributes(cli: string, address: string, namespace: string): Promise<void> {
  const registered = async (): Promise<Record<string, string>> => {
    const r = await run(cli, ['operator', 'search-attribute', 'list', '--address', address, '-n', namespace, '-o', 'json'], 15_000);
    if (r.code !== 0) throw new ClusterError(`could not list the search attributes of ${namespace}: ${(r.stderr || r.stdout).trim()}`);
    const parsed = JSON.parse(r.stdout) as { customAttributes?: Record<string, string> };
    return parsed.customAttributes ?? {};
  };
  const typeName = (t: string) => t.replace(/^INDEXED_VALUE_TYPE_/, '').replace(/_/g, '').toLowerCase();
  const have = await registered();
  const wrong = searchAttributeRegistrations.filter((a) => have[a.name] !== undefined && typeName(have[a.name]!) !== a.cliType.toLowerCase());
  if (wrong.length > 0) throw new ClusterError(`search attributes registered with another type on ${namespace}: ${wrong.map((a) => `${a.name} is ${have[a.name]}, expected ${a.cliType}`).join('; ')}`);
  const missing = searchAttributeRegistrations.filter((a) => have[a.name] === undefined);
  for (const a of missing) {
    // One attribute per call: the CLI accepts repeated --name but registers only the first of them.
    const r = await run(cli, ['operator', 'search-attribute', 'create', '--address', address, '-n', namespace, '--name', a.name, '--type', a.cliType], 30_000);
    if (r.code !== 0 && !/already/i.test(r.stderr + r.stdout)) throw new ClusterError(`could not register the search attribute ${a.name} (${a.cliType}): ${(r.stderr || r.stdout).trim()}`);
  }
  const after = await registered();
  const still = searchAttributeRegistrations.filter((a) => after[a.name] === undefined);
  if (still.length > 0) throw new ClusterError(`search attributes still missing on ${namespace} after registering: ${still.map((a) => a.name).join(', ')}`);
}

/**
 * Waits until cluster_membership lists every node for every service; with `sinceMs`, only sessions that
 * started after it count (a killed node's last heartbeat stays "live" for up to 20 s).
 */
export async function waitForMembers(pg: PgSettings, processes: Array<{ ports: NodePorts }>, deadline: number, sinceMs = 0): Promise<void> {
  const expected = processes.flatMap((p) => SERVICES.map((s) => `${s} ${IP}:${p.ports[s].membership}`));
  for (;;) {
    const have = new Set(
      clusterMembership(pg)
        .filter((r) => r.sessionStartMs >= sinceMs)
        .map((r) => `${r.role} ${r.member}`),
    );
    const missing = expected.filter((e) => !have.has(e));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new ClusterError(`cluster_membership does not list ${missing.join(', ')} in time`);
    await sleep(500);
  }
}

/** Writes node `node`'s config under dataDir/node-<node>/config (mode 0600: it holds the database password). */
function writeNodeConfig(settings: ClusterSettings, node: number, ports: NodePorts, clusterAddress: string, logLevel: StartClusterOptions['serverLogLevel']): string {
  const root = join(settings.dataDir, `node-${node}`);
  const configDir = join(root, 'config');
  mkdirSync(configDir, { recursive: true });
  const configFile = join(configDir, 'development.yaml');
  writeFileSync(configFile, serverConfigYaml({ pg: settings.pg, ports, clusterAddress, ip: IP, logLevel }), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  return root;
}

export interface LaunchNodeOptions {
  /** The `server` binary. */
  server: string;
  /** dataDir/node-<node>, holding config/development.yaml. */
  root: string;
  node: number;
  ports: NodePorts;
  /** Append to server.log instead of starting it afresh (a restart). */
  appendLog?: boolean;
}

/** Starts one server process on an already written config; its output goes to root/server.log. */
export function launchNode(opts: LaunchNodeOptions): ClusterProcess {
  const { root, ports, node } = opts;
  const logFile = join(root, 'server.log');
  if (!opts.appendLog) rmSync(logFile, { force: true });
  // The log file itself is the server's stdout/stderr (no pipe through this process), so a node outlives a
  // parent that exits first, e.g. a jest worker that restarted it.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.server, ['--root', root, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let status: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      status = code ?? signal ?? 'exited';
      resolve(status);
    });
    child.once('error', (err) => {
      status = err.message;
      resolve(status);
    });
  });
  if (child.pid === undefined) throw new ClusterError(`could not start ${opts.server}`);
  writeFileSync(join(root, 'server.pid'), String(child.pid));
  return {
    node,
    pid: child.pid,
    address: `${IP}:${ports.frontend.grpc}`,
    ports,
    logFile,
    configFile: join(root, 'config', 'development.yaml'),
    child,
    exited,
    alive: () => status === undefined,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => status === undefined && child.kill(signal),
  };
}

function spawnNode(tools: ServerTools, settings: ClusterSettings, node: number, ports: NodePorts, clusterAddress: string, logLevel: StartClusterOptions['serverLogLevel']): ClusterProcess {
  return launchNode({ server: tools.server, root: writeNodeConfig(settings, node, ports, clusterAddress, logLevel), node, ports });
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function stopProcess(p: ClusterProcess, graceMs: number): Promise<void> {
  if (!p.alive()) return;
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Builds or reuses the server, prepares PostgreSQL, starts the nodes and waits until the cluster serves the namespace. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settings = settingsFor(opts);
  const { pg } = settings;
  await assertReachable(pg.host, pg.port);
  ensureRole(pg);
  const tools = opts.tools ?? resolveTemporalServerTools({ log });
  const cli = opts.cli ?? resolveTemporalCli({ log });
  const done = applySchema(tools.sql, pg, opts.schemaDirs ?? postgresSchemaDirs());
  for (const line of done) log(line);
  const layout = await choosePorts(settings);

  const processes: ClusterProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= Promise.all(processes.map((p) => stopProcess(p, 10_000))).then(() => undefined));
  const clusterAddress = `${IP}:${layout[0]!.frontend.grpc}`;
  const started = Date.now();
  const deadline = started + (opts.healthTimeoutMs ?? 60_000);
  try {
    // Node 1 first (it initialises the cluster metadata on a fresh database), then the others together.
    processes.push(spawnNode(tools, settings, 1, layout[0]!, clusterAddress, opts.serverLogLevel));
    await waitHealthy(cli, processes[0]!, deadline);
    for (let i = 1; i < settings.nodes; i++) processes.push(spawnNode(tools, settings, i + 1, layout[i]!, clusterAddress, opts.serverLogLevel));
    await Promise.all(processes.slice(1).map((p) => waitHealthy(cli, p, deadline)));
    const addresses = processes.map((p) => p.address);
    await ensureNamespace(cli, addresses, settings.namespace, deadline);
    await registerClusterSearchAttributes(cli, clusterAddress, settings.namespace);
    if (settings.nodes > 1) await waitForMembers(pg, processes, deadline);
    const startMs = Date.now() - started;
    return {
      address: clusterAddress,
      addresses,
      namespace: settings.namespace,
      processes,
      settings,
      cli,
      startMs,
      membership: () => clusterMembership(pg),
      stop,
      async dropDatabases() {
        await stop();
        dropDatabases(pg, [pg.database, pg.visibilityDatabase]);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Drops the cluster's two databases; returns their names. Refuses while cluster_membership shows live members
 * (a cluster still running on them) unless `force`: the cluster's history would vanish under it.
 */
export async function dropClusterDatabases(opts: Pick<StartClusterOptions, 'env' | 'pg'> & { force?: boolean } = {}): Promise<string[]> {
  const { pg } = settingsFor(opts);
  await assertReachable(pg.host, pg.port);
  const names = [pg.database, pg.visibilityDatabase];
  if (!opts.force && databaseExists(pg, pg.database) && tableExists(pg, pg.database, 'cluster_membership')) {
    const live = [...new Set(clusterMembership(pg).map((m) => m.member))];
    if (live.length > 0) throw new ClusterError(`a Temporal cluster is still running on ${pg.database} (members ${live.join(', ')} heartbeat within the last ${MEMBER_HEARTBEAT_CUTOFF_SECONDS} s): stop it first, then drop the databases`);
  }
  dropDatabases(pg, names);
  return names;
}
