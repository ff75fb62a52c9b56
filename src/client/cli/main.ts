// `cvmflow`: the command line for people and scripts. One module per command group in this folder.
// Exit codes: 0 ok, 1 the workflow failed / not verified / not found, 2 usage or input error, 3 cannot reach Temporal.
import { runAttestVerify } from './attest';
import { CvmflowInputError } from '../cvmflow-client';
import { runCodecKeys, runCodecServer } from './codec-server';
import { CliError, EXIT, firstLine, parse, UNREACHABLE_FIX, usageError, type Io } from './common';
import { DEPLOY_USAGE, runDeploy } from './deploy';
import { renderEndpoints } from './endpoints';
import { ONCHAIN_USAGE, runOnchain } from './onchain';
import { OP_USAGE, runOp } from './op';
import { runProvision } from './provision';
import { runSchedules, SCHEDULES_USAGE } from './schedules';
import { runList, runStatus, runWatch, STATUS_USAGE } from './status';
import { runTeardown, TEARDOWN_USAGE } from './teardown';

export const USAGE = `usage: cvmflow <command> [options]

  provision phala|prism|cudo   start a CVM lifecycle (flags or --file F as JSON/YAML; --wait to follow it)
  teardown <provider> <name>   tear a CVM down now or --at TIME; teardown extend | cancel
  op <action> <provider> <id>  a day-2 action: start, stop, shutdown, restart, reboot, resize, replicate
  onchain submit <name> --tx T --app A   deliver a Phala on-chain KMS registration to its waiting lifecycle
  status <workflow | provider name>   where a workflow stands
  watch <workflow | provider name>    live progress until it ends
  list [--provider P] [--status S] [--name N]   CVM workflows, by the custom search attributes
  schedules apply|list|pause|unpause|delete     the fleet workflows' Temporal Schedules
  attest verify --evidence F --policy P          verify attestation evidence offline
  endpoints [--json|--markdown]                  the provider endpoints and their activities
  codec-server [--listen H:P] [--ui-origin URL]  decode encrypted payloads for the Temporal UI / temporal CLI
  codec-keys add --file F [--id ID]              add a payload codec key (key rotation)
  deploy status | promote [BUILD_ID] [--ramp N%] worker versions: current, ramping, draining; roll out a new one

connection: --address (TEMPORAL_ADDRESS, else the profile's, else 127.0.0.1:7233), --namespace (TEMPORAL_NAMESPACE,
else the profile's, else default), --task-queue (CVMFLOW_TASK_QUEUE, default cvmflow), --profile (TEMPORAL_PROFILE),
--config-file (TEMPORAL_CONFIG_FILE); TLS and API keys follow the Temporal env config. CVMFLOW_CODEC_KEYS_FILE
turns payload encryption on.
output: tables for people, --json for scripts; --verbose prints the full cause of an error.
exit codes: 0 ok, 1 workflow failed / not verified / not found, 2 usage or input error, 3 cannot reach Temporal.
`;

const UNREACHABLE_CODES = new Set([14, 4]); // gRPC UNAVAILABLE, DEADLINE_EXCEEDED

function classify(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof CvmflowInputError) return { code: EXIT.usage, message: err.message };
  const e = err as { name?: string; code?: number; cause?: { code?: number } };
  if (e?.name === 'WorkflowNotFoundError') return { code: EXIT.failed, message: firstLine(err) };
  if (UNREACHABLE_CODES.has(e?.code ?? -1) || UNREACHABLE_CODES.has(e?.cause?.code ?? -1)) return { code: EXIT.unreachable, message: `cannot reach Temporal: ${firstLine(err)}. ${UNREACHABLE_FIX}` };
  return { code: EXIT.failed, message: firstLine(err) };
}

function causeChain(err: unknown): string {
  const lines: string[] = [];
  for (let e = err as { stack?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    lines.push(depth === 0 ? (e.stack ?? String(e.message)) : `caused by: ${e.stack ?? e.message ?? String(e)}`);
  }
  return lines.join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  const verbose = argv.includes('--verbose');
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      case 'provision':
        return await runProvision(rest, io);
      case 'teardown':
        return await runTeardown(rest, io);
      case 'op':
        return await runOp(rest, io);
      case 'onchain':
        return await runOnchain(rest, io);
      case 'status':
        return await runStatus(rest, io);
      case 'watch':
        return await runWatch(rest, io);
      case 'list':
        return await runList(rest, io);
      case 'schedules':
        return await runSchedules(rest, io);
      case 'attest':
        return await runAttestVerify(rest, { stdout: io.stdout, stderr: { write: (t: string) => io.stderr.write(`cvmflow ${t}`) } });
      case 'codec-server':
        return await runCodecServer(rest, io);
      case 'codec-keys':
        return await runCodecKeys(rest, io);
      case 'deploy':
        return await runDeploy(rest, io);
      case 'endpoints': {
        const { values, positionals } = parse(rest, { markdown: { type: 'boolean' } }, 'endpoints');
        if (values.help) return (io.stdout.write('usage: cvmflow endpoints [--json|--markdown]\n'), EXIT.ok);
        if (positionals.length) throw usageError(`endpoints: unexpected argument "${positionals[0]}" (cvmflow endpoints [--json|--markdown])`);
        io.stdout.write(renderEndpoints(values.json ? 'json' : values.markdown ? 'markdown' : 'table'));
        return EXIT.ok;
      }
      default:
        throw new CliError(`unknown command "${command}" (see cvmflow --help)`, EXIT.usage);
    }
  } catch (err) {
    const { code, message } = classify(err);
    io.stderr.write(`cvmflow: ${message}\n`);
    if (verbose) io.stderr.write(`${causeChain(err)}\n`);
    return code;
  }
}

export const USAGES = { deploy: DEPLOY_USAGE, status: STATUS_USAGE, teardown: TEARDOWN_USAGE, op: OP_USAGE, onchain: ONCHAIN_USAGE, schedules: SCHEDULES_USAGE };

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cvmflow: ${firstLine(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
