// `cvmflow schedules apply|list|pause|unpause|delete`: the fleet workflows' Temporal Schedules.
import { ScheduleNotFoundError } from '@temporalio/client';
import { applySchedules, deleteSchedule, listSchedules, parseScheduleConfig, pauseSchedule, ScheduleConfigError, unpauseSchedule } from '../schedules';
import { CliError, connect, EXIT, parse, printJson, readText, table, usageError, type GlobalFlags, type Io } from './common';

export const SCHEDULES_USAGE = `usage: cvmflow schedules apply --file schedules.yaml [--json]   create missing, update changed, leave unchanged
       cvmflow schedules list [--json]
       cvmflow schedules pause <id> [--note N]
       cvmflow schedules unpause <id> [--note N]
       cvmflow schedules delete <id>
`;

export async function runSchedules(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { file: { type: 'string', short: 'f' }, note: { type: 'string' } }, `schedules${sub ? ` ${sub}` : ''}`);
  const flags = values as GlobalFlags & { file?: string; note?: string };
  if (flags.help || sub === '--help' || sub === '-h') return (io.stdout.write(SCHEDULES_USAGE), EXIT.ok);
  if (!sub) throw usageError('schedules: missing subcommand (apply, list, pause, unpause, delete)');
  if (!['apply', 'list', 'pause', 'unpause', 'delete'].includes(sub)) throw usageError(`schedules: unknown subcommand "${sub}" (expected apply, list, pause, unpause or delete)`);

  if (sub === 'apply') {
    if (!flags.file) throw usageError('schedules apply: --file F is required (YAML or JSON, see the README)');
    let config;
    try {
      config = parseScheduleConfig(readText(flags.file, '--file'), flags.file);
    } catch (err) {
      if (err instanceof ScheduleConfigError) throw usageError(`schedules apply: ${err.message}`);
      throw err;
    }
    const c = await connect(flags, io.env);
    try {
      const results = await applySchedules(c.temporal, config, { taskQueue: c.taskQueue });
      if (flags.json) printJson(io, results);
      else io.stdout.write(table(['SCHEDULE', 'WORKFLOW', 'RESULT', 'CHANGES'], results.map((r) => [r.id, r.workflow, r.outcome, r.changes.join(', ')])));
      return EXIT.ok;
    } finally {
      await c.close();
    }
  }

  const c = await connect(flags, io.env);
  try {
    if (sub === 'list') {
      const rows = await listSchedules(c.temporal);
      if (flags.json) printJson(io, rows);
      else if (rows.length === 0) io.stdout.write('no schedules\n');
      else io.stdout.write(table(['SCHEDULE', 'WORKFLOW', 'STATE', 'NEXT RUN', 'NOTE'], rows.map((r) => [r.id, r.workflow, r.paused ? 'paused' : 'active', r.nextRun, r.note])));
      return EXIT.ok;
    }
    const id = positionals[0];
    if (!id) throw usageError(`schedules ${sub}: missing <id>`);
    try {
      if (sub === 'pause') await pauseSchedule(c.temporal, id, flags.note);
      else if (sub === 'unpause') await unpauseSchedule(c.temporal, id, flags.note);
      else await deleteSchedule(c.temporal, id);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new CliError(`schedules ${sub}: no schedule "${id}"`, EXIT.failed);
      throw err;
    }
    const done = { pause: 'paused', unpause: 'unpaused', delete: 'deleted' }[sub as 'pause' | 'unpause' | 'delete'];
    if (flags.json) printJson(io, { id, [done]: true });
    else io.stdout.write(`schedule ${id} ${done}\n`);
    return EXIT.ok;
  } finally {
    await c.close();
  }
}
