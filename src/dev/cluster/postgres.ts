// PostgreSQL access for the native cluster through `psql` (no driver dependency): reachability with a
// fix-naming message, the Temporal role, database existence, dropping, and the cluster_membership table.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import type { ServiceName } from './constants';
import type { PgSettings } from './settings';

/** Every failure the cluster can explain in one line (bad settings, PostgreSQL down, server not healthy). */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

let psqlPath: string | undefined;

/** `psql` on PATH or in Debian's /usr/lib/postgresql/<version>/bin. */
export function findPsql(env: NodeJS.ProcessEnv = process.env): string {
  if (psqlPath) return psqlPath;
  const candidates = (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'psql'));
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(join('/usr/lib/postgresql', v, 'bin', 'psql'));
  } catch {
    /* not Debian's layout */
  }
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return (psqlPath = c);
    } catch {
      /* next */
    }
  }
  throw new ClusterError('psql (the PostgreSQL client) was not found: install it (apt-get install postgresql-client) or put it on PATH');
}

/** How to start the local PostgreSQL, for error messages. */
export function localStartHint(): string {
  try {
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
    if (versions.length > 0) return `start it with \`pg_ctlcluster --skip-systemctl-redirect ${versions[versions.length - 1]} main start\``;
  } catch {
    /* fall through */
  }
  return 'start PostgreSQL';
}

/** Resolves when host:port accepts TCP connections; otherwise throws one line naming the fix. */
export function assertReachable(host: string, port: number, variable = 'CVMFLOW_PG_URL', timeoutMs = 3_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
      reject(new ClusterError(`PostgreSQL is not reachable at ${host}:${port} (${why}): ${local ? `${localStartHint()}, or ` : ''}set ${variable} to a running server (postgres://user[:password]@host[:port])`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000} s`));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'unknown host' : (err.code ?? err.message)),
    );
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

export interface PsqlResult {
  ok: boolean;
  stdout: string;
  /** psql's first error line, without the "psql: error:" prefix. */
  error: string;
}

/** Runs SQL (given on stdin, so passwords stay out of the process list) and returns unaligned tuples. */
export function psql(conn: PgConnection, sql: string): PsqlResult {
  const r = spawnSync(findPsql(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', conn.host, '-p', String(conn.port), '-U', conn.user, '-d', conn.database, '-f', '-'], {
    input: sql,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PGPASSWORD: conn.password ?? '', PGCONNECT_TIMEOUT: '5', PGAPPNAME: 'cvmflow-cluster', PGSSLMODE: process.env.PGSSLMODE ?? 'prefer' },
  });
  const error = (r.stderr ?? '')
    .split('\n')
    .map((l) =>
      l
        .replace(/^psql:(<stdin>:\d+: )?\s*(error:|ERROR:|FATAL:)?\s*/, '')
        .replace(/connection to server at "[^"]*", port \d+ failed:\s*/, '')
        .replace(/^(FATAL|ERROR):\s*/, '')
        .trim(),
    )
    .filter(Boolean)
    .join('; ');
  return { ok: r.status === 0, stdout: (r.stdout ?? '').trim(), error: error || (r.error ? r.error.message : `psql exited ${r.status ?? r.signal}`) };
}

export function psqlOrThrow(conn: PgConnection, sql: string, what: string): string {
  const r = psql(conn, sql);
  if (!r.ok) throw new ClusterError(`${what} failed as ${conn.user}@${conn.host}:${conn.port}/${conn.database}: ${r.error}`);
  return r.stdout;
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The server's own connection (its role), to a given database. */
export function roleConnection(pg: PgSettings, database = 'postgres'): PgConnection {
  return { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database };
}

/**
 * Makes sure the Temporal role exists and can log in and create databases. With an admin connection a missing
 * role is created; without one (or when the admin cannot log in) the role must already work.
 */
export function ensureRole(pg: PgSettings): void {
  const asRole = roleConnection(pg);
  if (pg.admin) {
    const admin: PgConnection = pg.admin;
    const exists = psql(admin, `SELECT 1 FROM pg_roles WHERE rolname = ${literal(pg.user)}`);
    if (exists.ok) {
      if (exists.stdout !== '1') psqlOrThrow(admin, `CREATE ROLE ${ident(pg.user)} LOGIN CREATEDB PASSWORD ${literal(pg.password)}`, `creating the role ${pg.user}`);
    } else if (!psql(asRole, 'SELECT 1').ok) {
      throw new ClusterError(
        `cannot connect to PostgreSQL at ${pg.host}:${pg.port} as ${admin.user} to create the role ${pg.user} (${exists.error}): set CVMFLOW_PG_ADMIN_URL to a superuser URL, or create the role yourself (CREATE ROLE ${pg.user} LOGIN CREATEDB PASSWORD '...') and set CVMFLOW_PG_ADMIN_URL=none`,
      );
    }
  }
  const login = psql(asRole, 'SELECT 1');
  if (!login.ok) {
    const hint = /password/i.test(login.error) ? 'set CVMFLOW_PG_PASSWORD to the role\'s password' : /does not exist/.test(login.error) ? 'create the role or set CVMFLOW_PG_ADMIN_URL to a superuser URL so cvmflow creates it' : 'check CVMFLOW_PG_URL';
    throw new ClusterError(`PostgreSQL refused the role ${pg.user} at ${pg.host}:${pg.port} (${login.error}): ${hint}`);
  }
}

export function databaseExists(pg: PgSettings, name: string): boolean {
  return psqlOrThrow(roleConnection(pg), `SELECT 1 FROM pg_database WHERE datname = ${literal(name)}`, `looking up the database ${name}`) === '1';
}

export function tableExists(pg: PgSettings, database: string, table: string): boolean {
  return psqlOrThrow(roleConnection(pg, database), `SELECT to_regclass(${literal(table)}) IS NOT NULL`, `looking up the table ${table} in ${database}`) === 't';
}

/** Drops the databases (closing any sessions left on them); as the admin when there is one, else as their owner. */
export function dropDatabases(pg: PgSettings, names: string[]): void {
  const conn: PgConnection = pg.admin ?? roleConnection(pg);
  for (const name of names) psqlOrThrow(conn, `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`, `dropping the database ${name}`);
}

const ROLE_NAMES: Record<number, ServiceName> = { 1: 'frontend', 2: 'history', 3: 'matching', 4: 'worker' };

export interface MembershipRow {
  role: ServiceName;
  /** host:membership-port of the member. */
  member: string;
  /** Seconds since its last heartbeat. */
  heartbeatAgeSeconds: number;
  /** When this member's process joined (epoch ms); a restarted node has a new session. */
  sessionStartMs: number;
}

/** Temporal's own cutoff (common/membership/ringpop/monitor.go): members heartbeat every 10-15 s. */
export const MEMBER_HEARTBEAT_CUTOFF_SECONDS = 20;

/** The live rows of cluster_membership: heartbeat within the cutoff (old sessions keep rows for 48 h). */
export function clusterMembership(pg: PgSettings): MembershipRow[] {
  const out = psqlOrThrow(
    roleConnection(pg, pg.database),
    `SELECT role, rpc_address || ':' || rpc_port, round(extract(epoch FROM (now() AT TIME ZONE 'UTC') - last_heartbeat)), round(extract(epoch FROM session_start) * 1000) FROM cluster_membership WHERE last_heartbeat > (now() AT TIME ZONE 'UTC') - interval '${MEMBER_HEARTBEAT_CUTOFF_SECONDS} seconds' ORDER BY role, rpc_port`,
    'reading cluster_membership',
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [role, member, age, session] = line.split('|');
      return { role: ROLE_NAMES[Number(role)] ?? (`role-${role}` as ServiceName), member: member!, heartbeatAgeSeconds: Number(age), sessionStartMs: Number(session) };
    });
}

/**
 * Which of the given history hosts (gRPC host:port) owns each shard, from the shards table: the owner is a
 * string inside the proto-encoded shard info, so each candidate's bytes are looked for. '' when none matches.
 */
export function shardOwners(pg: PgSettings, historyHosts: string[]): Map<number, string> {
  const cases = historyHosts.map((h) => `WHEN position(convert_to(${literal(h)}, 'UTF8') IN data) > 0 THEN ${literal(h)}`).join(' ');
  const out = psqlOrThrow(roleConnection(pg, pg.database), `SELECT shard_id, ${cases ? `CASE ${cases} ELSE '' END` : "''"} FROM shards ORDER BY shard_id`, 'reading the shards table');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id, owner] = line.split('|');
        return [Number(id), owner ?? ''] as [number, string];
      }),
  );
}
