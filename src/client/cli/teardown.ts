// `cvmflow teardown`: now or `--at TIME`; `teardown extend` moves a scheduled teardown; `teardown cancel`.
import { TeardownCvmInputSchema } from '../../contract/teardown';
import { teardownKey } from '../cvmflow-client';
import { CliError, connect, EXIT, inputFlags, parse, parseProvider, printJson, usageError, type GlobalFlags, type Io } from './common';
import { reportStart, validateOrUsage } from './provision';

export const TEARDOWN_USAGE = `usage: cvmflow teardown <provider> <name|vmId> [--at TIME] [--reason R] [--cvm-id ID] [--wait] [--json]
       cvmflow teardown extend <provider> <name|vmId> --at TIME [--json]
       cvmflow teardown cancel <provider> <name|vmId> [--reason R] [--json]
  <name|vmId>  Phala/Prism: the CVM name; CUDO: the vmId. The teardown workflow is teardown/<provider>/<name|vmId>.
  --at TIME    ISO 8601 with a zone (default: now). When a teardown of that CVM is already scheduled, it is moved.
  other fields: --graceful-timeout, --gone-deadline, --poll-interval, --provider-call-timeout
`;

export async function runTeardown(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'extend' || argv[0] === 'cancel') return runTeardownMessage(argv[0], argv.slice(1), io);
  const fields = inputFlags(TeardownCvmInputSchema, ['provider', 'cvmName', 'teardownAt'], { at: 'teardownAt' });
  const { values, positionals } = parse(argv, { ...fields.options, wait: { type: 'boolean' } }, 'teardown');
  const flags = values as GlobalFlags & { wait?: boolean; at?: string };
  if (flags.help) return (io.stdout.write(TEARDOWN_USAGE), EXIT.ok);
  const provider = parseProvider(positionals[0], 'teardown');
  const key = positionals[1];
  if (!key) throw usageError('teardown: missing <name|vmId>');
  if (positionals[2]) throw usageError(`teardown: unexpected argument "${positionals[2]}"`);
  const input = fields.build(values, provider === 'cudo' ? { provider, cvmId: key } : { provider, cvmName: key });
  validateOrUsage('teardownCvm', TeardownCvmInputSchema, input);
  const c = await connect(flags, io.env);
  try {
    const s = await c.startTeardownCvm(input as never);
    if (s.outcome === 'attached') {
      // A teardown is already scheduled (e.g. by a ttl): move it to the time asked for.
      const want = flags.at ? Date.parse(flags.at) : Date.now();
      const at = new Date(Math.max(want, Date.now() + 2_000)).toISOString();
      const moved = await c.extendTeardown(provider, teardownKey(provider, provider === 'cudo' ? undefined : key, provider === 'cudo' ? key : undefined), at);
      if (!flags.json && !flags.wait) io.stdout.write(`a teardown was already scheduled: moved to ${moved.teardownAt}\n`);
    }
    return await reportStart(io, c, s, flags, 'teardownCvm');
  } finally {
    await c.close();
  }
}

async function runTeardownMessage(which: 'extend' | 'cancel', argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { at: { type: 'string' }, reason: { type: 'string' } }, `teardown ${which}`);
  const flags = values as GlobalFlags & { at?: string; reason?: string };
  if (flags.help) return (io.stdout.write(TEARDOWN_USAGE), EXIT.ok);
  const provider = parseProvider(positionals[0], `teardown ${which}`);
  const key = positionals[1];
  if (!key) throw usageError(`teardown ${which}: missing <name|vmId>`);
  if (which === 'extend' && !flags.at) throw usageError('teardown extend: --at TIME is required (ISO 8601 with a zone, e.g. 2026-12-24T18:00:00Z)');
  const c = await connect(flags, io.env);
  try {
    if (which === 'extend') {
      const r = await c.extendTeardown(provider, key, flags.at!).catch(rethrowInput);
      if (flags.json) printJson(io, { workflowId: `teardown/${provider}/${key}`, ...r });
      else io.stdout.write(`teardown/${provider}/${key} now tears down at ${r.teardownAt}\n`);
    } else {
      await c.cancelTeardown(provider, key, flags.reason).catch(rethrowInput);
      if (flags.json) printJson(io, { workflowId: `teardown/${provider}/${key}`, cancelled: true });
      else io.stdout.write(`teardown/${provider}/${key} cancelled; the CVM keeps running\n`);
    }
    return EXIT.ok;
  } finally {
    await c.close();
  }
}

function rethrowInput(err: unknown): never {
  const e = err as { name?: string; message?: string; cause?: { message?: string } };
  if (e.name === 'CvmflowInputError') throw usageError(e.message!);
  if (e.name === 'WorkflowNotFoundError') throw new CliError(`no teardown is scheduled for that CVM (${e.message})`, EXIT.failed);
  // A rejected update (the validator's message is the reason).
  if (e.name === 'WorkflowUpdateFailedError' && e.cause?.message) throw usageError(e.cause.message);
  throw err;
}
