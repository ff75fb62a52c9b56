// Creates the two databases and brings their schema to the pinned server's version with temporal-sql-tool.
// Idempotent: create only what is missing, `setup-schema -v 0.0` only on a database without schema_version,
// then `update-schema` (which applies just the versions not yet applied).
import { spawnSync } from 'node:child_process';
import { SQL_PLUGIN } from './constants';
import { ClusterError, databaseExists, tableExists } from './postgres';
import type { PgSettings } from './settings';

export interface SchemaDirs {
  temporal: string;
  visibility: string;
}

function sqlTool(sql: string, pg: PgSettings, database: string, args: string[]): void {
  const r = spawnSync(sql, args, {
    encoding: 'utf8',
    timeout: 120_000,
    // Connection settings through the tool's own variables, so the password is not on the command line.
    env: { ...process.env, SQL_PLUGIN, SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password, SQL_DATABASE: database },
  });
  if (r.status === 0) return;
  const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  if (args[0] === 'create-database' && /already exists|42P04/.test(output)) return; // created meanwhile
  const errorLine =
    output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /error|fatal|failed/i.test(l))
      .pop() ?? output.trim().split('\n').pop();
  throw new ClusterError(`temporal-sql-tool ${args[0]} on the database ${database} failed (exit ${r.status ?? r.signal}): ${errorLine ?? 'no output'}`);
}

/** Applies the schema to both databases; returns what was done, for the log. */
export function applySchema(sql: string, pg: PgSettings, dirs: SchemaDirs): string[] {
  const done: string[] = [];
  for (const [database, dir] of [
    [pg.database, dirs.temporal],
    [pg.visibilityDatabase, dirs.visibility],
  ] as const) {
    if (!databaseExists(pg, database)) {
      sqlTool(sql, pg, database, ['create-database']);
      done.push(`created the database ${database}`);
    }
    if (!tableExists(pg, database, 'schema_version')) {
      sqlTool(sql, pg, database, ['setup-schema', '-v', '0.0']);
      done.push(`set up versioning in ${database}`);
    }
    sqlTool(sql, pg, database, ['update-schema', '-d', dir]);
  }
  return done;
}
