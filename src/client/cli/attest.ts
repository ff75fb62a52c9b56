// `attest verify`: read files, call verifyEvidence (or verifyDstackAttestation for Phala / dstack JSON evidence),
// print one line per check (or JSON). Exit 0 verified, 1 not, 2 usage.
import { readFileSync } from 'node:fs';
import { verifyDstackAttestation } from '../../attestation/dstack/verify';
import type { CollateralBundle } from '../../attestation/input';
import { parsePolicy } from '../../attestation/policy/parse';
import type { DcapCollateral } from '../../attestation/tdx/verify';
import type { Verdict } from '../../attestation/verdict';
import { verifyEvidence } from '../../attestation/verify';
import { errorMessage } from '../../attestation/bytes';
import { certificatesFrom, parseCertificate } from '../../attestation/x509';
import { DstackPolicyInputError, buildDstackPolicy, dstackJsonOf, type DstackIdentityFlags } from './attest-dstack-input';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export const ATTEST_USAGE = `usage: attest verify --evidence F --policy P [--cert C]... [--collateral J] [--at TIME] [--json]
                     [--trust-sandbox-root R] [--nonce HEX | --agent-cert PEM]
       attest verify --evidence PHALA.json [--expect E] [--compose-hash H | --app-compose F] [--app-id ID]
                     [--instance-id ID|none] [--vm-uuid U] [--key-provider NAME[:ID]] [--collateral J] [--at TIME] [--json]
  --evidence F            evidence file (raw bytes or base64 text, e.g. Prism's "attestation"), or a Phala / dstack
                          attestation JSON (GET /cvms/{id}/attestation, GET /apps/{id}/attestations, GetQuote, Info)
  --policy P              attestation policy JSON (Cocos / go-sev-guest / go-tdx-guest)
  --expect E              for Phala / dstack evidence: the expected identity JSON ({composeHash, appId, instanceId,
                          vmUuid, keyProvider, allowedKeyProviders, allowedOsImageHashes, allowedMeasurements});
                          the flags below override its fields (--policy is read the same way for such evidence)
  --compose-hash H        compose_hash cvmflow deployed (or --app-compose F: the exact app-compose.json file)
  --app-id ID, --instance-id ID|none, --vm-uuid U, --key-provider NAME[:ID]   identity expected
  --cert C                extra certificate(s), PEM or DER (VCEK/VLEK, ASK, ARK); repeatable
  --collateral J          JSON: Intel TDX collateral, or {"certificates":[PEM...],"tdx":{...}}
  --at TIME               verification time, ISO 8601 (default: now)
  --json                  print the verdict as JSON
  --trust-sandbox-root R  also trust this sandbox root (PEM: an AMD-shaped ARK or the Phala sandbox TDX root);
                          never use for production evidence
  --nonce HEX             expected fresh nonce in REPORT_DATA
  --agent-cert PEM        the CVM agent's certificate file (boot-time certificate binding)
`;

class UsageError extends Error {}

/** The dstack identity flags hold values, except appCompose: a file path, read before use. */
interface Args extends DstackIdentityFlags {
  evidence?: string;
  policy?: string;
  expect?: string;
  certs: string[];
  collateral?: string;
  at?: string;
  json: boolean;
  sandboxRoot?: string;
  nonce?: string;
  agentCert?: string;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { certs: [], json: false, help: false };
  const rest = [...argv];
  if (rest[0] === 'attest') rest.shift();
  if (rest[0] === 'verify') rest.shift();
  else if (rest[0] !== undefined && !rest[0].startsWith('-')) throw new UsageError(`unknown subcommand "${rest[0]}" (expected "verify")`);
  const single: Record<string, keyof Args> = {
    '--evidence': 'evidence',
    '--policy': 'policy',
    '--collateral': 'collateral',
    '--at': 'at',
    '--trust-sandbox-root': 'sandboxRoot',
    '--nonce': 'nonce',
    '--agent-cert': 'agentCert',
    '--expect': 'expect',
    '--compose-hash': 'composeHash',
    '--app-compose': 'appCompose',
    '--app-id': 'appId',
    '--instance-id': 'instanceId',
    '--vm-uuid': 'vmUuid',
    '--key-provider': 'keyProvider',
  };
  while (rest.length > 0) {
    const raw = rest.shift()!;
    const [flag, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    if (flag === '--json') args.json = true;
    else if (flag === '--help' || flag === '-h') args.help = true;
    else if (flag === '--cert' || flag in single) {
      const value = inline ?? rest.shift();
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      if (flag === '--cert') args.certs.push(value);
      else {
        if (args[single[flag]!] !== undefined) throw new UsageError(`${flag} given twice`);
        (args as unknown as Record<string, string>)[single[flag]!] = value;
      }
    } else throw new UsageError(`unknown option ${flag}`);
  }
  if (args.help) return args;
  if (!args.evidence) throw new UsageError('--evidence is required');
  const identity = args.expect ?? args.composeHash ?? args.appCompose ?? args.appId;
  if (!args.policy && !identity) throw new UsageError('--policy is required (for Phala / dstack JSON evidence: --expect or --compose-hash and --app-id)');
  if (args.nonce && args.agentCert) throw new UsageError('--nonce and --agent-cert are exclusive');
  if (args.nonce && !/^(?:[0-9a-fA-F]{2}){1,64}$/.test(args.nonce)) throw new UsageError('--nonce must be 1-64 bytes of hex');
  if (args.at !== undefined && !Number.isFinite(Date.parse(args.at))) throw new UsageError(`--at: not an ISO time: ${args.at}`);
  return args;
}

function readArg(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read file (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
}

function collateralFrom(file: string, text: Buffer): CollateralBundle {
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch {
    throw new UsageError(`--collateral ${file}: not JSON`);
  }
  if (json && typeof json === 'object' && 'tcb_info' in json) return { tdx: json as DcapCollateral };
  if (json && typeof json === 'object' && ('tdx' in json || 'certificates' in json || 'crls' in json)) {
    const j = json as { tdx?: DcapCollateral; certificates?: unknown; crls?: unknown };
    const strings = (v: unknown, what: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`--collateral ${file}: ${what} must be an array of strings`);
      return v as string[];
    };
    // CRLs in JSON are base64 DER or PEM text
    const crls = strings(j.crls, 'crls').map((c) => (c.includes('-----BEGIN') ? c : Buffer.from(c, 'base64')));
    return { tdx: j.tdx, certificates: strings(j.certificates, 'certificates'), crls };
  }
  throw new UsageError(`--collateral ${file}: expected Intel TDX collateral or {"certificates", "crls", "tdx"}`);
}

export function formatVerdict(v: Verdict): string {
  const lines = v.checks.map((c) => {
    if (c.result === 'skip') return `- ${c.name}: skipped (${c.detail ?? ''})`;
    if (c.result === 'pass') return `✔ ${c.name}: ${c.actual}`;
    if (c.undetermined) return `? ${c.name}: could not check: expected ${c.expected}, got ${c.actual}${c.detail ? ` (${c.detail})` : ''}`;
    return `✘ ${c.name}: expected ${c.expected}, got ${c.actual}${c.detail ? ` (${c.detail})` : ''}`;
  });
  lines.push('');
  lines.push(`platform: ${v.platform}   format: ${v.formatChain.join(' → ')}   time: ${v.verifiedAt}`);
  if (v.keyChain.length) lines.push(`key chain: ${v.keyChain.map((c) => `${c.role}=${c.subject.split(', ').find((p) => p.startsWith('CN=')) ?? c.subject}`).join(' ← ')}`);
  lines.push(`tcb: ${v.tcb.status}${v.tcb.advisories.length ? ` (${v.tcb.advisories.join(', ')})` : ''}   binding: ${v.binding.kind} – ${v.binding.detail}`);
  lines.push(`${v.verified ? '✔' : '✘'} ${v.summary}`);
  if (v.result && v.result !== 'verified') lines.push(`result: ${v.result}`);
  return `${lines.join('\n')}\n`;
}

function sandboxRootOf(args: Args): Buffer | undefined {
  const sandboxRoot = args.sandboxRoot ? readArg('--trust-sandbox-root', args.sandboxRoot) : undefined;
  if (sandboxRoot) {
    try {
      if (certificatesFrom(sandboxRoot).map(parseCertificate).length === 0) throw new Error('no certificate in it');
    } catch (err) {
      throw new UsageError(`--trust-sandbox-root ${args.sandboxRoot}: not a PEM or DER certificate (${errorMessage(err)})`);
    }
  }
  return sandboxRoot;
}

/** Phala / dstack JSON: quote + event log + identity, against --expect / --policy and the identity flags. */
function verifyDstack(args: Args, attestation: unknown, io: CliIo): number {
  const file = args.expect ? { flag: '--expect', path: args.expect } : args.policy ? { flag: '--policy', path: args.policy } : undefined;
  let policy;
  try {
    policy = buildDstackPolicy(file && { ...file, text: readArg(file.flag, file.path).toString('utf8') }, {
      ...args,
      appCompose: args.appCompose !== undefined ? readArg('--app-compose', args.appCompose).toString('utf8') : undefined,
    });
  } catch (err) {
    if (err instanceof DstackPolicyInputError) throw new UsageError(err.message);
    throw err;
  }
  const collateral = args.collateral ? collateralFrom(args.collateral, readArg('--collateral', args.collateral)).tdx : undefined;
  const sandboxRoot = sandboxRootOf(args);
  const verdict = verifyDstackAttestation({ attestation, policy, collateral, at: args.at ?? new Date().toISOString(), trust: sandboxRoot ? { extraArks: [sandboxRoot], allowSandbox: true } : undefined });
  io.stdout.write(args.json ? `${JSON.stringify(verdict, null, 2)}\n` : formatVerdict(verdict));
  return verdict.verified ? 0 : 1;
}

export async function runAttestVerify(argv: string[], io: CliIo): Promise<number> {
  await Promise.resolve(); // keeps the async contract for callers wiring it into the CLI dispatcher
  let args: Args;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.stdout.write(ATTEST_USAGE);
      return 0;
    }
    const evidence = readArg('--evidence', args.evidence!);
    const dstack = dstackJsonOf(evidence);
    if (dstack !== undefined) return verifyDstack(args, dstack, io);
    if (!args.policy) throw new UsageError(`--policy is required: --expect and the identity flags apply only to Phala / dstack JSON evidence, and ${args.evidence} is not that`);
    const policyText = readArg('--policy', args.policy).toString('utf8');
    try {
      parsePolicy(policyText, { unknownKeys: 'refuse' });
    } catch (err) {
      throw new UsageError(`--policy ${args.policy}: not a valid attestation policy: ${errorMessage(err)}`);
    }
    const certificates = args.certs.map((c) => readArg('--cert', c));
    const collateral: CollateralBundle = args.collateral ? collateralFrom(args.collateral, readArg('--collateral', args.collateral)) : {};
    collateral.certificates = [...(collateral.certificates ?? []), ...certificates];
    const sandboxRoot = sandboxRootOf(args);
    const agentCert = args.agentCert ? readArg('--agent-cert', args.agentCert) : undefined;
    // The CLI is the one place that may default the time to "now"; verifyEvidence itself never reads the clock.
    const at = args.at ?? new Date().toISOString();
    const verdict = verifyEvidence({
      evidence,
      policy: policyText,
      collateral,
      at,
      trust: sandboxRoot ? { extraArks: [sandboxRoot], allowSandbox: true } : undefined,
      binding: args.nonce ? { nonce: args.nonce } : agentCert ? { agentCertPem: agentCert } : undefined,
    });
    io.stdout.write(args.json ? `${JSON.stringify(verdict, null, 2)}\n` : formatVerdict(verdict));
    return verdict.verified ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`attest verify: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
