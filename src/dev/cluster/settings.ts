// The native cluster's settings from the environment (and `npm run cluster` flags), validated with zod:
// one line per problem, naming the variable and what it expects. The password is never echoed.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../common/paths';
import {
  DEFAULT_CLUSTER_DIR,
  DEFAULT_CLUSTER_NAMESPACE,
  DEFAULT_DATABASE,
  DEFAULT_FRONTEND_PORT,
  DEFAULT_PG_HOST,
  DEFAULT_PG_MAX_CONNS,
  DEFAULT_PG_PASSWORD,
  DEFAULT_PG_PORT,
  DEFAULT_PG_USER,
  DEFAULT_VISIBILITY_DATABASE,
} from './constants';

export class ClusterConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `invalid cluster configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ClusterConfigError';
  }
}

/** How the Temporal server reaches PostgreSQL, and how cvmflow creates its role and databases. */
export interface PgSettings {
  host: string;
  port: number;
  /** The role the Temporal server connects as (created when missing). */
  user: string;
  password: string;
  database: string;
  visibilityDatabase: string;
  /** Connections each service (frontend, history, matching, worker) of each node may open to the main database. */
  maxConns: number;
  /** A superuser (or CREATEROLE) connection used to create the role; undefined when the role must already exist. */
  admin?: { host: string; port: number; user: string; password?: string; database: string };
}

export interface ClusterSettings {
  pg: PgSettings;
  nodes: number;
  /** Frontend gRPC port of node 1; the other ports follow from it (0: free ports chosen by the OS). */
  basePort: number;
  dataDir: string;
  namespace: string;
}

/** Every variable the cluster reads. */
export const CLUSTER_VARIABLES = [
  'CVMFLOW_PG_URL',
  'CVMFLOW_PG_PASSWORD',
  'CVMFLOW_PG_PASSWORD_FILE',
  'CVMFLOW_PG_ADMIN_URL',
  'CVMFLOW_PG_DATABASE',
  'CVMFLOW_PG_VISIBILITY_DATABASE',
  'CVMFLOW_PG_MAX_CONNS',
  'CVMFLOW_CLUSTER_NODES',
  'CVMFLOW_CLUSTER_PORT',
  'CVMFLOW_CLUSTER_DIR',
  'TEMPORAL_NAMESPACE',
] as const;

const dbName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a PostgreSQL database name (lowercase letters, digits, _; at most 63 characters)');

interface ParsedUrl {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
}

function pgUrl(example: string, allowDatabase: boolean) {
  return z.string().transform((s, ctx): ParsedUrl => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a URL such as ${example}` });
      return z.NEVER;
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
      ctx.addIssue({ code: 'custom', message: `expected a postgres:// URL such as ${example} (got ${u.protocol}//)` });
      return z.NEVER;
    }
    if (!u.hostname) {
      ctx.addIssue({ code: 'custom', message: `has no host: expected a URL such as ${example}` });
      return z.NEVER;
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (database && !allowDatabase) {
      ctx.addIssue({ code: 'custom', message: 'must not name a database (/' + database + '): set CVMFLOW_PG_DATABASE and CVMFLOW_PG_VISIBILITY_DATABASE instead' });
      return z.NEVER;
    }
    if (u.search) {
      ctx.addIssue({ code: 'custom', message: 'query parameters (TLS, options) are not supported: expected postgres://user[:password]@host[:port]' });
      return z.NEVER;
    }
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : DEFAULT_PG_PORT,
      user: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: database || undefined,
    };
  });
}

const intIn = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `expected ${what} (${min}-${max})`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${what} (${min}-${max})`);

const envSchema = z.object({
  CVMFLOW_PG_URL: pgUrl(`postgres://${DEFAULT_PG_USER}@${DEFAULT_PG_HOST}:${DEFAULT_PG_PORT}`, false).optional(),
  CVMFLOW_PG_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  CVMFLOW_PG_ADMIN_URL: z.union([z.literal('none'), pgUrl(`postgres://postgres@${DEFAULT_PG_HOST}:${DEFAULT_PG_PORT}/postgres (or none)`, true)]).optional(),
  CVMFLOW_PG_DATABASE: dbName.default(DEFAULT_DATABASE),
  CVMFLOW_PG_VISIBILITY_DATABASE: dbName.default(DEFAULT_VISIBILITY_DATABASE),
  CVMFLOW_PG_MAX_CONNS: intIn(1, 200, 'connections per service and node').default(DEFAULT_PG_MAX_CONNS),
  CVMFLOW_CLUSTER_NODES: intIn(1, 9, 'a number of server processes').default(1),
  CVMFLOW_CLUSTER_PORT: intIn(1024, 65000, 'a TCP port for the first frontend').default(DEFAULT_FRONTEND_PORT),
  CVMFLOW_CLUSTER_DIR: z.string().min(1, 'must not be empty').default(DEFAULT_CLUSTER_DIR),
  TEMPORAL_NAMESPACE: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a namespace name (letters, digits, . _ -)').default(DEFAULT_CLUSTER_NAMESPACE),
});

type Env = Record<string, string | undefined>;

/** Reads and validates the cluster's variables; empty values count as unset. */
export function loadClusterSettings(rawEnv: Env = process.env): ClusterSettings {
  const problems: string[] = [];
  const env: Env = {};
  for (const name of CLUSTER_VARIABLES) if (rawEnv[name] !== undefined && rawEnv[name] !== '') env[name] = rawEnv[name];
  if (env.CVMFLOW_PG_PASSWORD_FILE) {
    if (env.CVMFLOW_PG_PASSWORD) problems.push('CVMFLOW_PG_PASSWORD and CVMFLOW_PG_PASSWORD_FILE are both set: keep one');
    try {
      env.CVMFLOW_PG_PASSWORD = readFileSync(env.CVMFLOW_PG_PASSWORD_FILE, 'utf8').trim();
    } catch (err) {
      problems.push(`CVMFLOW_PG_PASSWORD_FILE: cannot read ${env.CVMFLOW_PG_PASSWORD_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      // Never echo a value that may hold a password.
      const shown = name === 'CVMFLOW_PG_PASSWORD' || !env[name] ? '' : ` (got ${redact(env[name]!)})`;
      problems.push(`${name}${shown}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ClusterConfigError(problems);
  const e = parsed.data;
  const url = e.CVMFLOW_PG_URL ?? { host: DEFAULT_PG_HOST, port: DEFAULT_PG_PORT };
  if (e.CVMFLOW_PG_DATABASE === e.CVMFLOW_PG_VISIBILITY_DATABASE) throw new ClusterConfigError(['CVMFLOW_PG_VISIBILITY_DATABASE must differ from CVMFLOW_PG_DATABASE']);
  const admin =
    e.CVMFLOW_PG_ADMIN_URL === 'none'
      ? undefined
      : e.CVMFLOW_PG_ADMIN_URL
        ? { host: e.CVMFLOW_PG_ADMIN_URL.host, port: e.CVMFLOW_PG_ADMIN_URL.port, user: e.CVMFLOW_PG_ADMIN_URL.user ?? 'postgres', password: e.CVMFLOW_PG_ADMIN_URL.password, database: e.CVMFLOW_PG_ADMIN_URL.database ?? 'postgres' }
        : { host: url.host, port: url.port, user: 'postgres', database: 'postgres' };
  return {
    pg: {
      host: url.host,
      port: url.port,
      user: url.user ?? DEFAULT_PG_USER,
      password: e.CVMFLOW_PG_PASSWORD ?? url.password ?? DEFAULT_PG_PASSWORD,
      database: e.CVMFLOW_PG_DATABASE,
      visibilityDatabase: e.CVMFLOW_PG_VISIBILITY_DATABASE,
      maxConns: e.CVMFLOW_PG_MAX_CONNS,
      admin,
    },
    nodes: e.CVMFLOW_CLUSTER_NODES,
    basePort: e.CVMFLOW_CLUSTER_PORT,
    dataDir: isAbsolute(e.CVMFLOW_CLUSTER_DIR) ? e.CVMFLOW_CLUSTER_DIR : resolve(PROJECT_ROOT, e.CVMFLOW_CLUSTER_DIR),
    namespace: e.TEMPORAL_NAMESPACE,
  };
}

/** A URL with its password replaced, for messages. */
export function redact(value: string): string {
  return value.replace(/^([a-z]+:\/\/[^:@/]*:)[^@]*@/i, '$1***@');
}
