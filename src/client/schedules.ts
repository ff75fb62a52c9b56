// The fleet workflows' Temporal Schedules, declared in a YAML/JSON file and applied idempotently: a missing
// schedule is created, a changed one updated, an unchanged one left alone (and reported as such).
import { createHash } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssues, DurationSchema } from '../contract/common';
import { DEFAULT_TASK_QUEUE } from '../contract/defaults';
import { CollectCvmStatisticsInputSchema, FLEET_WORKFLOW_TYPES, ReattestCvmsInputSchema, ReconcileFleetInputSchema } from '../contract/fleet';
import { scheduleWorkflowId } from '../contract/workflow-ids';
import { strictObject } from '../contract/strict';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'] as const;

const ARGS_SCHEMAS = { reconcileFleet: ReconcileFleetInputSchema, collectCvmStatistics: CollectCvmStatisticsInputSchema, reattestCvms: ReattestCvmsInputSchema } as const;

export const ScheduleEntrySchema = strictObject({
    /** The Temporal schedule id. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected 1-100 letters, digits, . _ -, starting with a letter or digit'),
    workflow: z.enum(FLEET_WORKFLOW_TYPES, { message: `expected one of ${FLEET_WORKFLOW_TYPES.join(', ')}` }),
    /** Every so long, e.g. "10m" (exclusive with cron). */
    interval: DurationSchema.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
    /** A cron expression, e.g. "*\/15 * * * *" (exclusive with interval). */
    cron: z.string().min(9, 'expected a cron expression such as "0 * * * *"').optional(),
    /** The workflow's input (checked against its schema). */
    args: z.record(z.string(), z.unknown()).default({}),
    overlap: z.enum(OVERLAP_POLICIES, { message: `expected one of ${OVERLAP_POLICIES.join(', ')}` }).default('skip'),
    /** How late a missed run may still start (after an outage); later ones are skipped. */
    catchupWindow: DurationSchema.refine((ms) => ms >= 10_000, 'must be at least 10s').prefault('5m'),
    paused: z.boolean().default(false),
    note: z.string().max(500).default(''),
    taskQueue: z.string().min(1).optional(),
  })
  .refine((s) => (s.interval === undefined) !== (s.cron === undefined), { message: 'give exactly one of interval or cron', path: ['interval'] })
  .superRefine((s, ctx) => {
    const p = ARGS_SCHEMAS[s.workflow].safeParse(s.args);
    if (!p.success) for (const i of p.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: ['args', ...i.path] });
  });
export type ScheduleEntry = z.output<typeof ScheduleEntrySchema>;

export const ScheduleConfigSchema = strictObject({ schedules: z.array(ScheduleEntrySchema) })
  .refine((c) => new Set(c.schedules.map((s) => s.id)).size === c.schedules.length, { message: 'schedule ids must be unique', path: ['schedules'] });
export type ScheduleConfig = z.output<typeof ScheduleConfigSchema>;

export class ScheduleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleConfigError';
  }
}

/** Parses a schedules file (YAML or JSON text); errors name the entry and field. */
export function parseScheduleConfig(text: string, source = 'schedules file'): ScheduleConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ScheduleConfigError(`${source}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const p = ScheduleConfigSchema.safeParse(raw ?? {});
  if (!p.success) throw new ScheduleConfigError(`${source}: ${describeIssues(p.error)}`);
  return p.data;
}

const MEMO_HASH = 'cvmflowScheduleHash';

/** A stable hash of everything apply sets (except `paused`, which is compared with the live state). */
export function scheduleHash(entry: ScheduleEntry, taskQueue: string): string {
  const { paused: _paused, ...rest } = entry;
  const canonical = JSON.stringify({ ...rest, taskQueue: entry.taskQueue ?? taskQueue }, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

const SUMMARIES: Record<ScheduleEntry['workflow'], string> = {
  reconcileFleet: 'Reconcile the fleet: tear down expired leases, report orphans and missing CVMs',
  collectCvmStatistics: 'Collect Prism statistics and CUDO monitor data of running CVMs',
  reattestCvms: 'Re-verify the attestation of running Prism and Phala CVMs',
};

function toOptions(entry: ScheduleEntry, taskQueue: string) {
  const hash = scheduleHash(entry, taskQueue);
  return {
    spec: entry.interval !== undefined ? { intervals: [{ every: entry.interval }] } : { cronExpressions: [entry.cron!] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: entry.workflow,
      workflowId: scheduleWorkflowId(entry.id),
      taskQueue: entry.taskQueue ?? taskQueue,
      args: [entry.args],
      memo: { [MEMO_HASH]: hash },
      staticSummary: `${SUMMARIES[entry.workflow]} (schedule ${entry.id})`,
    },
    policies: { overlap: ScheduleOverlapPolicy[entry.overlap.toUpperCase() as keyof typeof ScheduleOverlapPolicy], catchupWindow: entry.catchupWindow },
    hash,
  };
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';
export interface ApplyResult {
  id: string;
  workflow: string;
  outcome: ApplyOutcome;
  /** What differed, for `updated`. */
  changes: string[];
}

function liveHash(d: ScheduleDescription): string | undefined {
  const memo = d.action.type === 'startWorkflow' ? (d.action.memo as Record<string, unknown> | undefined) : undefined;
  return typeof memo?.[MEMO_HASH] === 'string' ? memo[MEMO_HASH] : undefined;
}

/** Creates or updates each schedule of the config; leaves unchanged ones alone. Schedules not in the file are kept. */
export async function applySchedules(client: Client, config: ScheduleConfig, opts: { taskQueue?: string } = {}): Promise<ApplyResult[]> {
  const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
  const results: ApplyResult[] = [];
  for (const entry of config.schedules) {
    const o = toOptions(entry, taskQueue);
    const state = { paused: entry.paused, ...(entry.note ? { note: entry.note } : {}) };
    let description: ScheduleDescription | undefined;
    try {
      description = await client.schedule.getHandle(entry.id).describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!description) {
      try {
        await client.schedule.create({ scheduleId: entry.id, spec: o.spec, action: o.action, policies: o.policies, state });
        results.push({ id: entry.id, workflow: entry.workflow, outcome: 'created', changes: [] });
        continue;
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        description = await client.schedule.getHandle(entry.id).describe();
      }
    }
    const changes: string[] = [];
    if (liveHash(description) !== o.hash) changes.push('spec/action/policies');
    if (description.state.paused !== entry.paused) changes.push(entry.paused ? 'paused' : 'unpaused');
    if (changes.length === 0) {
      results.push({ id: entry.id, workflow: entry.workflow, outcome: 'unchanged', changes });
      continue;
    }
    await client.schedule.getHandle(entry.id).update((prev) => ({ ...prev, spec: o.spec, action: o.action, policies: o.policies, state: { ...prev.state, ...state } }));
    results.push({ id: entry.id, workflow: entry.workflow, outcome: 'updated', changes });
  }
  return results;
}

export interface ScheduleListing {
  id: string;
  workflow: string | null;
  paused: boolean;
  note: string | null;
  nextRun: string | null;
  recentRuns: number;
  managed: boolean;
}

/** Every schedule of the namespace; `managed` marks those `apply` made. */
export async function listSchedules(client: Client): Promise<ScheduleListing[]> {
  const out: ScheduleListing[] = [];
  for await (const s of client.schedule.list()) {
    const d = await client.schedule.getHandle(s.scheduleId).describe();
    out.push({
      id: s.scheduleId,
      workflow: d.action.type === 'startWorkflow' ? d.action.workflowType : null,
      paused: d.state.paused,
      note: d.state.note ?? null,
      nextRun: d.info.nextActionTimes[0]?.toISOString() ?? null,
      recentRuns: d.info.recentActions.length,
      managed: liveHash(d) !== undefined,
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export async function pauseSchedule(client: Client, id: string, note?: string): Promise<void> {
  await client.schedule.getHandle(id).pause(note ?? 'paused with cvmflow schedules pause');
}

export async function unpauseSchedule(client: Client, id: string, note?: string): Promise<void> {
  await client.schedule.getHandle(id).unpause(note ?? 'unpaused with cvmflow schedules unpause');
}

export async function deleteSchedule(client: Client, id: string): Promise<void> {
  await client.schedule.getHandle(id).delete();
}
