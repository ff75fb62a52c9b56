// `cvmflow op <action> <provider> <cvm-id>`: one audited day-2 action (operateCvm).
import { CVM_ACTIONS, OperateCvmInputSchema } from '../../contract/operate';
import { connect, EXIT, inputFlags, parse, parseProvider, usageError, type GlobalFlags, type Io } from './common';
import { reportStart, validateOrUsage } from './provision';

export const OP_USAGE = `usage: cvmflow op <action> <provider> <cvm-id> [--reason R] [--requested-by WHO] [--request-id ID] [--wait] [--json]
  <action>  ${CVM_ACTIONS.join(', ')} (Phala: start, stop, shutdown, restart, replicate; CUDO: start, stop, reboot, resize)
  resize: --vcpus N --memory-gib N   replicate: --node-id N   restart: --force
  --request-id ID  makes the request idempotent: the same id attaches to the same workflow
  other fields: --wait-deadline, --poll-interval, --provider-call-timeout
`;

export async function runOp(argv: string[], io: Io): Promise<number> {
  const fields = inputFlags(OperateCvmInputSchema, ['provider', 'cvmId', 'action']);
  const { values, positionals } = parse(argv, { ...fields.options, wait: { type: 'boolean' } }, 'op');
  const flags = values as GlobalFlags & { wait?: boolean };
  if (flags.help) return (io.stdout.write(OP_USAGE), EXIT.ok);
  const [action, providerArg, cvmId, extra] = positionals;
  if (!action) throw usageError('op: missing <action> (cvmflow op <action> <provider> <cvm-id>)');
  if (!(CVM_ACTIONS as readonly string[]).includes(action)) throw usageError(`op: unknown action "${action}" (expected one of ${CVM_ACTIONS.join(', ')})`);
  const provider = parseProvider(providerArg, 'op');
  if (!cvmId) throw usageError('op: missing <cvm-id>');
  if (extra) throw usageError(`op: unexpected argument "${extra}"`);
  const input = fields.build(values, { provider, cvmId, action, requestedBy: io.env.USER ?? 'cvmflow-cli' });
  validateOrUsage('operateCvm', OperateCvmInputSchema, input);
  const c = await connect(flags, io.env);
  try {
    return await reportStart(io, c, await c.startOperateCvm(input as never), flags, 'operateCvm');
  } finally {
    await c.close();
  }
}
