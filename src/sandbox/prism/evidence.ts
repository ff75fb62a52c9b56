// Boot-time evidence for sandbox CVMs. By default it comes from the project's sandbox AMD issuer
// (src/sandbox/evidence/snp-issuer.ts), loaded lazily so this layer works before that module exists; until then a
// clearly labelled placeholder blob stands in (it verifies as nothing: a verifier must fail closed on it).
import { createHash, randomBytes } from 'node:crypto';
import type { PrismCcPlatform } from '../../providers/prism/schemas';

export interface SandboxCvmIdentity {
  id: string;
  name: string;
  ccPlatform: PrismCcPlatform;
}

export interface SandboxEvidence {
  /** The bytes Prism would base64 into `attestation`. */
  attestation: Buffer;
  /** The policy object Prism would base64 (as JSON) into `attestation_policy`. */
  policy: object;
  /** PEM of the sandbox AMD root that signs the chain, when the issuer provides one. */
  rootPem?: string;
  /** True for the placeholder stand-in. */
  placeholder?: boolean;
}

export type IssueEvidence = (cvm: SandboxCvmIdentity) => Promise<SandboxEvidence> | SandboxEvidence;

/** The signed range of a raw SEV-SNP report is [0, 0x2A0); REPORT_ID (0x140, 32 B) is pinned by no usual policy, so
 *  flipping a byte there breaks only the signature. */
export const SNP_SIGNED_END = 0x2a0;
export const DEFAULT_TAMPER_OFFSET = 0x140;

export const PLACEHOLDER_MAGIC = 'CVMFLOW-SANDBOX-PLACEHOLDER-EVIDENCE';

/**
 * The agent's client certificate stands behind the real binding (REPORT_DATA = SHA-512(cert PEM bytes), provider-notes
 * §0.3). The sandbox has no certs service, so each CVM gets a deterministic stand-in PEM text and the same binding.
 */
export function sandboxAgentCertPem(cvmId: string): string {
  const body = Buffer.from(`cvmflow sandbox agent certificate for CVM ${cvmId}`).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The 64-byte REPORT_DATA a sandbox CVM's evidence carries: SHA-512 of its agent cert PEM. */
export function sandboxReportData(cvmId: string): Buffer {
  return createHash('sha512').update(sandboxAgentCertPem(cvmId)).digest();
}

/** Random bytes behind a readable magic: the right size for offsets, and unmistakably not evidence. */
export function placeholderEvidence(cvm: SandboxCvmIdentity): SandboxEvidence {
  const magic = Buffer.from(`${PLACEHOLDER_MAGIC}\n`);
  const attestation = Buffer.concat([magic, randomBytes(0x4a0 - magic.length)]);
  return {
    attestation,
    placeholder: true,
    policy: {
      cvmflow_sandbox_placeholder: true,
      note: 'placeholder evidence: no sandbox issuer is installed (src/sandbox/evidence/snp-issuer.ts); it verifies as nothing',
      policy: { report_data: sandboxReportData(cvm.id).toString('base64'), vmpl: 2 },
      root_of_trust: { product_line: 'Milan' },
    },
  };
}

/**
 * Serialises a policy object the way Cocos writes its policy file: bytes as base64 (protojson), and uint64 values
 * given as bigint as bare JSON numbers (as in the real v0.8.2 file, e.g. minimum_tcb above 2^53).
 */
export function policyJson(policy: object): string {
  const big = new Map<string, string>();
  const text = JSON.stringify(policy, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = key === '' ? value : this[key];
    if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
    if (typeof original === 'bigint') {
      const token = `\u0000bigint${big.size}\u0000`;
      big.set(token, original.toString());
      return token;
    }
    return value;
  });
  let out = text;
  for (const [token, digits] of big) out = out.replace(JSON.stringify(token), digits);
  return out;
}

interface IssuerModule {
  createSandboxAmdChain: () => unknown;
  issueSandboxSnpEvidence: (chain: unknown, opts: Record<string, unknown>) => unknown;
  issueSandboxTdxEvidence?: (opts: Record<string, unknown>) => unknown;
}

function isMissingModule(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(name);
}

/** Loads the sandbox issuer if it exists; undefined when it does not (yet). Other load errors propagate. */
export async function loadSandboxIssuer(): Promise<IssuerModule | undefined> {
  const spec = '../evidence/snp-issuer'; // a variable: the module may not exist when this compiles
  try {
    const mod = (await import(spec)) as Partial<IssuerModule>;
    if (typeof mod.createSandboxAmdChain !== 'function' || typeof mod.issueSandboxSnpEvidence !== 'function') return undefined;
    return mod as IssuerModule;
  } catch (err) {
    if (isMissingModule(err, 'snp-issuer')) return undefined;
    throw err;
  }
}

export interface DefaultIssuerOptions {
  /** Extra fields for `issueSandboxSnpEvidence` (measurement, hostData, chipId, policy, vmpl). The Cocos agent runs at
   *  VMPL 2, so `vmpl: 2` is the default. */
  evidenceOptions?: Record<string, unknown>;
  /** Tests can force the placeholder. */
  loader?: () => Promise<IssuerModule | undefined>;
}

/** The default evidence source: the sandbox AMD issuer when present (one chain per sandbox), else the placeholder. */
export function createDefaultEvidenceIssuer(opts: DefaultIssuerOptions = {}): IssueEvidence {
  let loaded: Promise<{ mod?: IssuerModule; chain?: unknown }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const mod = await (opts.loader ?? loadSandboxIssuer)();
      if (!mod) return {};
      return { mod, chain: await mod.createSandboxAmdChain() };
    })().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    }));

  return async (cvm) => {
    const { mod, chain } = await load();
    const args = { vmpl: 2, ...opts.evidenceOptions, reportData: sandboxReportData(cvm.id) };
    if (mod && cvm.ccPlatform === 'sev-snp') return (await mod.issueSandboxSnpEvidence(chain, args)) as SandboxEvidence;
    if (mod?.issueSandboxTdxEvidence && cvm.ccPlatform === 'tdx') return (await mod.issueSandboxTdxEvidence(args)) as SandboxEvidence;
    return placeholderEvidence(cvm);
  };
}
