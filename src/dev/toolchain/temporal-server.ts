// Finds or builds the Temporal server and its SQL schema tool (`go install`, cached in .tools/bin), and finds
// the PostgreSQL schema files shipped in the server's Go module. Never downloads a binary.
// Order for each binary: $TEMPORAL_SERVER / $TEMPORAL_SQL_TOOL, the project's cached build, then `go install`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_DIR } from './paths';
import { isExecutable, withBuildLock } from './build-lock';
import { findGo } from './temporal-cli';
import { ToolchainError } from './toolchain-error';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const PACKAGES = { server: `${TEMPORAL_SERVER_MODULE}/cmd/server`, sql: `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql` } as const;

export interface ServerTools {
  /** The `server` binary (`server --root DIR --config config --env development start`). */
  server: string;
  /** The `temporal-sql-tool` binary (built as `sql`). */
  sql: string;
}

export interface ResolveServerOptions {
  env?: NodeJS.ProcessEnv;
  /** The tools folder instead of the project's .tools (tests). */
  toolsDir?: string;
  /** Progress messages (the build takes minutes the first time). */
  log?: (line: string) => void;
}

/** True when `go version -m` says the binary was built from the pinned server module. */
function isPinned(bin: string, go: string | undefined): boolean {
  if (!isExecutable(bin)) return false;
  if (!go) return true;
  const out = spawnSync(go, ['version', '-m', bin], { encoding: 'utf8', timeout: 30_000 });
  return out.status === 0 && out.stdout.includes(`\t${TEMPORAL_SERVER_MODULE}\tv${TEMPORAL_SERVER_VERSION}`);
}

/** The server and the SQL tool: from the environment, the cache, or built once with Go (both in one `go install`). */
export function resolveTemporalServerTools(opts: ResolveServerOptions = {}): ServerTools {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const name of ['TEMPORAL_SERVER', 'TEMPORAL_SQL_TOOL'] as const) {
    const value = env[name];
    if (value && !isExecutable(value)) throw new ToolchainError(`${name}=${value} is not an executable file: point it at the Temporal ${name === 'TEMPORAL_SERVER' ? 'server' : 'SQL tool'} binary or unset it`);
  }
  const binDir = join(opts.toolsDir ?? TOOLS_DIR, 'bin');
  const cached: ServerTools = { server: join(binDir, 'server'), sql: join(binDir, 'sql') };
  const go = findGo(env);
  const wanted = (Object.keys(PACKAGES) as Array<keyof ServerTools>).filter((k) => !(k === 'server' ? env.TEMPORAL_SERVER : env.TEMPORAL_SQL_TOOL));
  const result = (): ServerTools => ({ server: env.TEMPORAL_SERVER || cached.server, sql: env.TEMPORAL_SQL_TOOL || cached.sql });
  const missing = () => wanted.filter((k) => !isPinned(cached[k], go));
  if (missing().length === 0) return result();
  if (!go) {
    throw new ToolchainError(
      `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool are not built and Go is not installed to build them: install Go >= 1.25 ` +
        '(apt-get install golang-go, or Go at /usr/local/go) and run again, or set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL to existing binaries',
    );
  }
  return withBuildLock(opts.toolsDir ?? TOOLS_DIR, 'temporal-server-build.lock', 'the Temporal server', () => {
    const todo = missing(); // another process may have built them meanwhile
    if (todo.length === 0) return result();
    log(`building the Temporal server v${TEMPORAL_SERVER_VERSION} (${todo.join(' and ')}) with ${go} into ${binDir} (about 2 minutes the first time, cached afterwards)`);
    const started = Date.now();
    // CGO off: both are pure Go (the PostgreSQL driver is pgx), so the binaries are static.
    const r = spawnSync(go, ['install', ...todo.map((k) => `${PACKAGES[k]}@v${TEMPORAL_SERVER_VERSION}`)], {
      env: { ...env, GOBIN: binDir, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0 || missing().length > 0) {
      throw new ToolchainError(
        `building the Temporal server failed (go install exited ${r.status ?? r.signal}); the Go module proxy must be reachable and Go must be >= 1.25. ` +
          'Alternatively set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL to existing binaries.',
      );
    }
    log(`built the Temporal server and SQL tool in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result();
  });
}

/**
 * The folder of the server module's source (schema/, config/), from the Go module cache; downloaded through
 * the Go module proxy when absent. `$TEMPORAL_SERVER_SOURCE` overrides it.
 */
export function temporalServerSourceDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_SERVER_SOURCE) {
    if (!existsSync(join(env.TEMPORAL_SERVER_SOURCE, 'schema'))) throw new ToolchainError(`TEMPORAL_SERVER_SOURCE=${env.TEMPORAL_SERVER_SOURCE} has no schema/ folder: point it at the go.temporal.io/server v${TEMPORAL_SERVER_VERSION} source or unset it`);
    return env.TEMPORAL_SERVER_SOURCE;
  }
  const go = findGo(env);
  if (!go) throw new ToolchainError('Go is needed to find the Temporal server schema files (in the Go module cache): install Go >= 1.25, or set TEMPORAL_SERVER_SOURCE to the go.temporal.io/server source folder');
  const goEnv = { ...env, GOTOOLCHAIN: 'local' };
  const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8', env: goEnv }).stdout.trim();
  const dir = join(modCache, `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`);
  if (existsSync(join(dir, 'schema'))) return dir;
  const dl = spawnSync(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`], { encoding: 'utf8', env: goEnv, timeout: 300_000 });
  try {
    const info = JSON.parse(dl.stdout) as { Dir?: string; Error?: string };
    if (info.Dir && existsSync(join(info.Dir, 'schema'))) return info.Dir;
    throw new ToolchainError(`could not download ${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION} for its schema files: ${info.Error ?? dl.stderr.trim()}`);
  } catch (err) {
    if (err instanceof ToolchainError) throw err;
    throw new ToolchainError(`could not download ${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION} for its schema files (is the Go module proxy reachable?): ${dl.stderr.trim()}`);
  }
}

/** The versioned PostgreSQL 12+ schema folders of the pinned server. */
export function postgresSchemaDirs(env: NodeJS.ProcessEnv = process.env): { temporal: string; visibility: string } {
  const base = join(temporalServerSourceDir(env), 'schema', 'postgresql', 'v12');
  return { temporal: join(base, 'temporal', 'versioned'), visibility: join(base, 'visibility', 'versioned') };
}

