// What every `cvmflow` command shares: errors with exit codes, flag parsing, output (tables for people,
// JSON for scripts), the connection, and inputs built from flags or a JSON/YAML file.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CodecKeyError } from '../../codec/key-ring';
import { describeAddress, resolveTemporalEnv } from '../../common/temporal-env';
import { CvmflowClient, DEFAULT_ADDRESS } from '../cvmflow-client';
import { DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from '../../contract/defaults';
import { PROVIDERS, type Provider } from '../../contract/common';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Options every Temporal-facing command accepts. */
export const GLOBAL_OPTIONS = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'task-queue': { type: 'string' },
  profile: { type: 'string' },
  'config-file': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface GlobalFlags {
  address?: string;
  namespace?: string;
  'task-queue'?: string;
  profile?: string;
  'config-file'?: string;
  json?: boolean;
  verbose?: boolean;
  help?: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into one usage line. */
export function parse<O extends Options>(argv: string[], options: O, command: string): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  try {
    const all = { ...GLOBAL_OPTIONS, ...options };
    const r = parseArgs({ args: joinNegativeValues(argv, all), options: all, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (err) {
    const e = err as { code?: string; message: string };
    const m = /option '([^']+)'/.exec(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usageError(`${command}: unknown option ${m?.[1]?.split(' ')[0] ?? ''} (see cvmflow ${command} --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw usageError(`${command}: ${e.message.split('\n')[0]!.replace(/^Option /, 'option ')}`);
    throw usageError(`${command}: ${e.message.split('\n')[0]}`);
  }
}

/** `--vcpus -3` as `--vcpus=-3`: parseArgs takes a value starting with - for an option ("argument is ambiguous"),
 * so a negative number would never reach the schema that explains what is allowed. */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

export interface Connection {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** Flags, then environment, then the Temporal profile, then defaults (as the `temporal` CLI resolves them). */
export function connectionOf(flags: GlobalFlags, env: NodeJS.ProcessEnv): Connection {
  let r;
  try {
    r = resolveTemporalEnv({ address: flags.address, namespace: flags.namespace, profile: flags.profile, configFile: flags['config-file'] }, env, { address: DEFAULT_ADDRESS, namespace: DEFAULT_NAMESPACE });
  } catch (err) {
    throw usageError(firstLine(err));
  }
  return { address: describeAddress(r), namespace: r.namespace, taskQueue: flags['task-queue'] ?? env.CVMFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE };
}

/** Connects, or fails with exit code 3 and the address in one line. */
export async function connect(flags: GlobalFlags, env: NodeJS.ProcessEnv): Promise<CvmflowClient> {
  const c = connectionOf(flags, env);
  try {
    return await CvmflowClient.connect({ address: flags.address, namespace: flags.namespace, profile: flags.profile, configFile: flags['config-file'], env, taskQueue: c.taskQueue, connectTimeout: '4s' });
  } catch (err) {
    if (err instanceof CodecKeyError) throw usageError(err.message);
    throw new CliError(`cannot reach Temporal at ${c.address} (namespace ${c.namespace}): ${firstLine(err)}. ${UNREACHABLE_FIX}`, EXIT.unreachable, { cause: err });
  }
}

/** What to do when Temporal does not answer, said with every such error. */
export const UNREACHABLE_FIX = 'Is Temporal running there? `npm start` runs one locally; otherwise set --address or TEMPORAL_ADDRESS to its host:port';

export function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.trim();
}

export function parseProvider(value: string | undefined, command: string): Provider {
  if (!value) throw usageError(`${command}: missing <provider> (one of ${PROVIDERS.join(', ')})`);
  if (!(PROVIDERS as readonly string[]).includes(value)) throw usageError(`${command}: unknown provider "${value}" (expected one of ${PROVIDERS.join(', ')})`);
  return value as Provider;
}

// --- output ----------------------------------------------------------------------------------------------

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n')}\n`;
}

/** "key  value" lines for one record. */
export function keyValues(pairs: Array<[string, string | number | null | undefined]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k.padEnd(width)}  ${v}`)
    .join('\n')}\n`;
}

export function elapsed(fromIso: string, to = Date.now()): string {
  const s = Math.max(0, Math.round((to - Date.parse(fromIso)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

// --- inputs from flags or a file -------------------------------------------------------------------------

type Kind = 'string' | 'duration' | 'number' | 'boolean' | 'list' | 'map' | 'env' | 'json';

interface ZodDefLike {
  type: string;
  innerType?: { _zod: { def: ZodDefLike } };
  in?: { _zod: { def: ZodDefLike } };
  element?: { _zod: { def: ZodDefLike } };
  options?: Array<{ _zod: { def: ZodDefLike } }>;
  shape?: Record<string, unknown>;
}

function kindOf(schema: unknown): Kind {
  let def = (schema as { _zod: { def: ZodDefLike } })._zod.def;
  for (;;) {
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type) && def.innerType) def = def.innerType._zod.def;
    else if (def.type === 'pipe' && def.in) def = def.in._zod.def;
    else break;
  }
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'literal':
      return 'string';
    case 'union': {
      // durations ("5m" or milliseconds) are passed through as text; unions of objects take JSON
      const types = (def.options ?? []).map((o) => o._zod.def.type);
      if (types.includes('string') && types.includes('number')) return 'duration';
      return types.every((t) => ['string', 'enum', 'literal'].includes(t)) ? 'string' : 'json';
    }
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return def.element?._zod.def.type === 'object' ? 'env' : 'list';
    case 'record':
      return 'map';
    default:
      return 'json';
  }
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export interface InputFlags {
  options: Options;
  /** Builds the input: the file's content (if any), then each flag given on top. */
  build(values: Record<string, unknown>, base: Record<string, unknown>): Record<string, unknown>;
  help: string;
}

/**
 * One flag per field of a workflow input schema: `--vm-id x`, `--vcpus 2`, `--ssh-keys K` (repeatable),
 * `--metadata k=v` (repeatable), `--env KEY=env:CVMFLOW_SECRET_X` (repeatable), booleans as `--keep-on-failure`
 * / `--no-keep-on-failure`, objects as JSON text. A string value `@path` is read from that file.
 */
export function inputFlags(schema: z.ZodObject, skip: string[] = [], aliases: Record<string, string> = {}): InputFlags {
  const fields = Object.entries(schema.shape).filter(([k]) => !skip.includes(k));
  const options: Options = {};
  const kinds = new Map<string, { key: string; kind: Kind }>();
  for (const [key, s] of fields) {
    const kind = kindOf(s);
    const flag = kebab(key);
    kinds.set(flag, { key, kind });
    if (kind === 'boolean') {
      options[flag] = { type: 'boolean' };
      options[`no-${flag}`] = { type: 'boolean' };
    } else options[flag] = { type: 'string', multiple: kind === 'list' || kind === 'map' || kind === 'env' };
  }
  for (const [alias, key] of Object.entries(aliases)) {
    options[alias] = { type: 'string' };
    kinds.set(alias, { key, kind: 'string' });
  }
  const help = fields
    .map(([key, s]) => {
      const kind = kindOf(s);
      const flag = kebab(key);
      if (kind === 'boolean') return `  --${flag} | --no-${flag}`;
      const arg = { string: ' <text>', duration: ' <duration>', number: ' <n>', list: ' <v>...', map: ' <k=v>...', env: ' <KEY=secretRef>...', json: ' <json>' }[kind];
      return `  --${flag}${arg}`;
    })
    .join('\n');
  return {
    options,
    help,
    build(values, base) {
      const out: Record<string, unknown> = { ...base };
      for (const [flag, { key, kind }] of kinds) {
        if (kind === 'boolean') {
          if (values[flag] === true) out[key] = true;
          if (values[`no-${flag}`] === true) out[key] = false;
          continue;
        }
        const v = values[flag];
        if (v === undefined) continue;
        const text = (x: string) => (x.startsWith('@') ? readText(x.slice(1), `--${flag}`) : x);
        if (kind === 'string' || kind === 'duration') out[key] = text(v as string);
        else if (kind === 'number') {
          const n = Number(v);
          if (!Number.isFinite(n) || (v as string).trim() === '') throw usageError(`--${flag}: expected a number, got "${String(v)}"`);
          out[key] = n;
        } else if (kind === 'list') out[key] = (v as string[]).map(text);
        else if (kind === 'map') out[key] = { ...(out[key] as object), ...Object.fromEntries((v as string[]).map((kv) => pair(kv, `--${flag}`))) };
        else if (kind === 'env') out[key] = [...((out[key] as unknown[]) ?? []), ...(v as string[]).map((kv) => { const [k, ref] = pair(kv, `--${flag}`); return { key: k, secretRef: ref }; })];
        else {
          try {
            out[key] = JSON.parse(text(v as string));
          } catch {
            throw usageError(`--${flag}: expected JSON (or @file with JSON)`);
          }
        }
      }
      return out;
    },
  };
}

function pair(kv: string, flag: string): [string, string] {
  const i = kv.indexOf('=');
  if (i <= 0) throw usageError(`${flag}: expected key=value, got "${kv}"`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`${what} ${path}: cannot read file (${(err as NodeJS.ErrnoException).code ?? firstLine(err)})`);
  }
}

/** A JSON or YAML file holding one object. */
export function readObjectFile(path: string, what = '--file'): Record<string, unknown> {
  const text = readText(path, what);
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (err) {
    throw usageError(`${what} ${path}: not valid JSON or YAML (${firstLine(err)})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw usageError(`${what} ${path}: expected an object of workflow input fields`);
  return v as Record<string, unknown>;
}
