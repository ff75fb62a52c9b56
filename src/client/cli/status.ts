// `cvmflow status`, `cvmflow list`, `cvmflow watch`, and the live progress every `--wait` shows.
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { parseDurationMs } from '../../common/duration';
import type { CvmflowClient, CvmWorkflowSummary } from '../cvmflow-client';
import { PROVIDERS, type Provider } from '../../contract/common';
import type { CvmWorkflowStatus } from '../../contract/status';
import { lifecycleWorkflowId } from '../../contract/workflow-ids';
import { CliError, connect, elapsed, EXIT, firstLine, keyValues, parse, parseProvider, printJson, table, usageError, type GlobalFlags, type Io } from './common';

export const STATUS_USAGE = `usage: cvmflow status <workflow-id | provider name> [--json]
       cvmflow watch  <workflow-id | provider name> [--interval 1s] [--json]
       cvmflow list   [--provider P] [--status S] [--name N] [--type T]... [--limit N] [--json]
  <provider name>  the CVM's lifecycle workflow: cvm/<provider>/<name> (CUDO: the vmId)
  --status S       running, completed, failed, terminated, canceled, timed_out, or a provider status (ACTIVE, Online, ...)
`;

/** A workflow id given directly (`cvm/cudo/x`, `teardown/phala/y`) or as `<provider> <key>`. */
export function targetOf(positionals: string[], command: string): string {
  const [a, b, ...rest] = positionals;
  if (!a) throw usageError(`${command}: missing <workflow-id> or <provider> <name>`);
  if (rest.length) throw usageError(`${command}: unexpected argument "${rest[0]}"`);
  if ((PROVIDERS as readonly string[]).includes(a)) {
    if (!b) throw usageError(`${command}: missing <name> after ${a}`);
    return lifecycleWorkflowId(a as Provider, b);
  }
  if (b) throw usageError(`${command}: unexpected argument "${b}" (give a workflow id, or <provider> <name>)`);
  return a;
}

export interface Followed {
  workflowId: string;
  status: string;
  result?: unknown;
  error?: string;
  errorType?: string;
}

async function queryStatus(c: CvmflowClient, workflowId: string): Promise<CvmWorkflowStatus | undefined> {
  try {
    return await c.status(workflowId);
  } catch {
    return undefined; // no worker answering (yet), or a workflow without the status query
  }
}

/** Prints each change of step and provider status until the workflow closes; returns its outcome. */
export async function follow(c: CvmflowClient, workflowId: string, out: Io['stdout'], opts: { intervalMs?: number; label?: string } = {}): Promise<Followed> {
  const interval = opts.intervalMs ?? 500;
  let last = '';
  let started: string | undefined;
  for (;;) {
    const d = await c.describe(workflowId);
    started ??= d.startTime;
    const s = await queryStatus(c, workflowId);
    const line = s ? `step ${s.step}${s.providerStatus ? ` · provider status ${s.providerStatus}` : ''}${s.lastError ? ` · last error: ${s.lastError}` : ''}` : d.step ? `step ${d.step}` : 'waiting for a worker to pick it up';
    if (line !== last) {
      out.write(`[${elapsed(started).padStart(6)}] ${opts.label ? `${opts.label}: ` : ''}${line}\n`);
      last = line;
    }
    if (d.status !== 'RUNNING') return outcome(c, workflowId, d);
    await new Promise((r) => setTimeout(r, interval));
  }
}

async function outcome(c: CvmflowClient, workflowId: string, d: CvmWorkflowSummary): Promise<Followed> {
  try {
    const result = await c.getHandle(workflowId).result();
    return { workflowId, status: d.status, result };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause as { message?: string; type?: string } | undefined;
      return { workflowId, status: d.status, error: cause?.message ?? err.message, errorType: cause?.type ?? undefined };
    }
    throw err;
  }
}

/** Prints what `--wait` / `watch` ended with; the exit code (1 when the workflow did not complete). */
export function reportFollowed(io: Io, f: Followed, json: boolean, extra: Record<string, unknown> = {}): number {
  if (json) printJson(io, { ...extra, workflowId: f.workflowId, status: f.status, ...(f.result !== undefined ? { result: f.result } : {}), ...(f.error ? { error: f.error, errorType: f.errorType ?? null } : {}) });
  else if (f.error) io.stderr.write(`${f.workflowId} ${f.status.toLowerCase()}: ${f.error.split('\n')[0]}\n`);
  else io.stdout.write(`${f.workflowId} ${f.status.toLowerCase()}\n${f.result !== undefined ? `${JSON.stringify(f.result, null, 2)}\n` : ''}`);
  return f.status === 'COMPLETED' ? EXIT.ok : EXIT.failed;
}

async function describeOrFail(c: CvmflowClient, workflowId: string): Promise<CvmWorkflowSummary> {
  try {
    return await c.describe(workflowId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no workflow ${workflowId} in this namespace`, EXIT.failed);
    throw err;
  }
}

export async function runStatus(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {}, 'status');
  const flags = values as GlobalFlags;
  if (flags.help) return (io.stdout.write(STATUS_USAGE), EXIT.ok);
  const workflowId = targetOf(positionals, 'status');
  const c = await connect(flags, io.env);
  try {
    const d = await describeOrFail(c, workflowId);
    const s = await queryStatus(c, workflowId);
    const closed = d.status !== 'RUNNING' ? await outcome(c, workflowId, d) : undefined;
    if (flags.json) {
      printJson(io, { ...d, progress: s ?? null, ...(closed?.result !== undefined ? { result: closed.result } : {}), ...(closed?.error ? { error: closed.error } : {}) });
    } else {
      io.stdout.write(
        keyValues([
          ['workflow', `${d.workflowId} (${d.type})`],
          ['status', `${d.status.toLowerCase()} · started ${d.startTime} (${elapsed(d.startTime)} ago)${d.closeTime ? ` · closed ${d.closeTime}` : ''}`],
          ['step', s?.step ?? d.step],
          ['provider', [d.provider, s?.providerStatus ?? d.providerStatus].filter(Boolean).join(' · status ')],
          ['cvm', [s?.cvmName ?? d.cvmName, s?.cvmId ?? d.cvmId].filter(Boolean).join(' · id ')],
          ['teardown at', s?.teardownAt ?? d.teardownAt],
          ['labels', Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(', ')],
          ['last error', s?.lastError],
          ['steps', s?.history.map((h) => h.step).join(' → ')],
          ['error', closed?.error?.split('\n')[0]],
        ]),
      );
      if (closed?.result !== undefined) io.stdout.write(`result\n${JSON.stringify(closed.result, null, 2)}\n`);
    }
    return d.status === 'RUNNING' || d.status === 'COMPLETED' ? EXIT.ok : EXIT.failed;
  } finally {
    await c.close();
  }
}

export async function runWatch(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { interval: { type: 'string' } }, 'watch');
  const flags = values as GlobalFlags & { interval?: string };
  if (flags.help) return (io.stdout.write(STATUS_USAGE), EXIT.ok);
  const workflowId = targetOf(positionals, 'watch');
  const intervalMs = flags.interval ? parseInterval(flags.interval) : 1000;
  const c = await connect(flags, io.env);
  try {
    await describeOrFail(c, workflowId);
    const f = await follow(c, workflowId, flags.json ? io.stderr : io.stdout, { intervalMs });
    return reportFollowed(io, f, !!flags.json);
  } finally {
    await c.close();
  }
}

function parseInterval(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 100) throw usageError(`watch: --interval expects a duration of at least 100ms such as 500ms or 2s, got "${text}"`);
  return ms;
}

export async function runList(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { provider: { type: 'string' }, status: { type: 'string' }, name: { type: 'string' }, type: { type: 'string', multiple: true }, limit: { type: 'string' } }, 'list');
  const flags = values as GlobalFlags & { provider?: string; status?: string; name?: string; type?: string[]; limit?: string };
  if (flags.help) return (io.stdout.write(STATUS_USAGE), EXIT.ok);
  if (positionals.length) throw usageError(`list: unexpected argument "${positionals[0]}" (filters are --provider, --status, --name, --type)`);
  const provider = flags.provider !== undefined ? parseProvider(flags.provider, 'list') : undefined;
  const limit = flags.limit !== undefined ? Number(flags.limit) : 100;
  if (!Number.isInteger(limit) || limit < 1) throw usageError(`list: --limit expects a positive whole number, got "${flags.limit}"`);
  const c = await connect(flags, io.env);
  try {
    const rows = await c.list({ provider, status: flags.status, name: flags.name, types: flags.type, limit });
    if (flags.json) printJson(io, rows);
    else if (rows.length === 0) io.stdout.write('no matching CVM workflows\n');
    else io.stdout.write(table(['WORKFLOW ID', 'TYPE', 'STATUS', 'STEP', 'PROVIDER STATUS', 'STARTED'], rows.map((r) => [r.workflowId, r.type, r.status.toLowerCase(), r.step, r.providerStatus, `${elapsed(r.startTime)} ago`])));
    return EXIT.ok;
  } finally {
    await c.close();
  }
}

export { firstLine };
