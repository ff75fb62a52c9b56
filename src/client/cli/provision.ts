// `cvmflow provision phala|prism|cudo`: the lifecycle's input from flags and/or `--file F` (JSON or YAML),
// validated before anything reaches Temporal; `--wait` follows it to the end.
import type { z } from 'zod';
import { CvmflowInputError, validateInput, type CvmflowClient, type Started } from '../cvmflow-client';
import type { Provider } from '../../contract/common';
import { CreateCudoVmInputSchema } from '../../contract/cudo';
import { ProvisionPhalaCvmInputSchema } from '../../contract/phala';
import { CreateAttestedPrismCvmInputSchema } from '../../contract/prism';
import { connect, EXIT, inputFlags, parse, parseProvider, printJson, readObjectFile, usageError, type GlobalFlags, type Io } from './common';
import { follow, reportFollowed } from './status';

const SPECS: Record<Provider, { schema: z.ZodObject; type: string; aliases: Record<string, string>; start: (c: CvmflowClient, input: Record<string, unknown>) => Promise<Started<unknown>> }> = {
  phala: { schema: ProvisionPhalaCvmInputSchema, type: 'provisionPhalaCvm', aliases: {}, start: (c, i) => c.startProvisionPhalaCvm(i as never) },
  prism: { schema: CreateAttestedPrismCvmInputSchema, type: 'createAttestedPrismCvm', aliases: {}, start: (c, i) => c.startCreateAttestedPrismCvm(i as never) },
  cudo: { schema: CreateCudoVmInputSchema, type: 'createCudoVm', aliases: { name: 'vmId' }, start: (c, i) => c.startCreateCudoVm(i as never) },
};

export function provisionUsage(): string {
  const part = (p: Provider) => `cvmflow provision ${p} (${SPECS[p].type}) fields:\n${inputFlags(SPECS[p].schema, [], SPECS[p].aliases).help}\n`;
  return `usage: cvmflow provision phala|prism|cudo [--file input.yaml] [--<field> value]... [--wait] [--json]
  --file F   the workflow input as JSON or YAML; flags given as well override its fields
  --wait     follow the workflow (step, provider status, elapsed) until it ends; exit 1 if it fails
  values: durations as 30s/5m/1h; --<list> and --<map> k=v repeat; @path reads a text value from a file
           (e.g. --compose-file @docker-compose.yml); CUDO's --name is --vm-id

${(['phala', 'prism', 'cudo'] as const).map(part).join('\n')}`;
}

/** Prints what a start did (started / attached / already-completed) and, with --wait, follows it. */
export async function reportStart(io: Io, c: CvmflowClient, s: Started<unknown>, flags: GlobalFlags & { wait?: boolean }, what: string): Promise<number> {
  const base = { workflowId: s.workflowId, runId: s.runId ?? null, outcome: s.outcome };
  if (!flags.wait) {
    if (flags.json) printJson(io, base);
    else io.stdout.write(`${s.outcome === 'started' ? 'started' : s.outcome === 'attached' ? 'attached to the running' : 'already completed:'} ${what} ${s.workflowId}${s.runId ? ` (run ${s.runId})` : ''}\n  follow it: cvmflow watch ${s.workflowId}\n`);
    return EXIT.ok;
  }
  if (!flags.json) io.stdout.write(`${s.outcome === 'started' ? 'started' : s.outcome === 'attached' ? 'attached to' : 'already completed:'} ${s.workflowId}\n`);
  const f = await follow(c, s.workflowId, flags.json ? io.stderr : io.stdout);
  return reportFollowed(io, f, !!flags.json, { runId: s.runId ?? null, outcome: s.outcome });
}

export async function runProvision(argv: string[], io: Io): Promise<number> {
  const providerArg = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  if (!providerArg) {
    if (argv.includes('--help') || argv.includes('-h')) return (io.stdout.write(provisionUsage()), EXIT.ok);
    throw usageError('provision: missing provider (cvmflow provision phala|prism|cudo ...; see cvmflow provision --help)');
  }
  const provider = parseProvider(providerArg, 'provision');
  const spec = SPECS[provider];
  const fields = inputFlags(spec.schema, [], spec.aliases);
  const { values, positionals } = parse(argv.slice(1), { ...fields.options, file: { type: 'string', short: 'f' }, wait: { type: 'boolean' } }, `provision ${provider}`);
  const flags = values as GlobalFlags & { file?: string; wait?: boolean };
  if (flags.help) return (io.stdout.write(provisionUsage()), EXIT.ok);
  if (positionals.length) throw usageError(`provision ${provider}: unexpected argument "${positionals[0]}"`);
  const input = fields.build(values, flags.file ? readObjectFile(flags.file) : {});
  // Validate before connecting: a bad input is a usage error even when Temporal is down.
  validateOrUsage(spec.type, spec.schema, input);
  const c = await connect(flags, io.env);
  try {
    const s = await spec.start(c, input);
    return await reportStart(io, c, s, flags, spec.type);
  } finally {
    await c.close();
  }
}

/** Validates with the shared schema; a bad input is a usage error (exit 2) naming each field. */
export function validateOrUsage(type: string, schema: z.ZodType, input: unknown): void {
  try {
    validateInput(type, schema, input);
  } catch (err) {
    if (err instanceof CvmflowInputError) throw usageError(err.message);
    throw err;
  }
}
