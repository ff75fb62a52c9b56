// How the evidence is bound: a fresh nonce in REPORT_DATA, the Prism agent certificate (boot time), or nothing.
import { createHash } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from './bytes';
import type { Binding, CheckList } from './verdict';

export interface BindingInput {
  /** Verifier-chosen nonce expected in REPORT_DATA (hex or bytes, ≤ 64 bytes, zero-padded); for vTPM evidence it is the TEE nonce. */
  nonce?: string | Uint8Array;
  /** Nonce expected in the vTPM quote's extraData (hex or bytes). */
  vtpmNonce?: string | Uint8Array;
  /** The CVM agent's client certificate PEM file, byte for byte (Cocos hashes the exact file). */
  agentCertPem?: string | Uint8Array;
}

export interface BindingExpectation {
  kind: Binding['kind'];
  teeNonce?: Buffer;
  vtpmNonce?: Buffer;
}

function bytesOf(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? fromHex(v) : Buffer.from(v);
}

/** Cocos agents: teeNonce = SHA-512(cert PEM), vtpmNonce = SHA-256(cert PEM). */
export function expectationFrom(input: BindingInput | undefined): BindingExpectation {
  if (input?.nonce !== undefined) {
    const nonce = bytesOf(input.nonce);
    if (nonce.length > 64) throw new Error('binding.nonce: at most 64 bytes');
    return { kind: 'nonce', teeNonce: Buffer.concat([nonce, Buffer.alloc(64 - nonce.length)]), vtpmNonce: input.vtpmNonce !== undefined ? bytesOf(input.vtpmNonce) : undefined };
  }
  if (input?.agentCertPem !== undefined) {
    const pem = typeof input.agentCertPem === 'string' ? Buffer.from(input.agentCertPem, 'utf8') : Buffer.from(input.agentCertPem);
    return { kind: 'certificate', teeNonce: createHash('sha512').update(pem).digest(), vtpmNonce: createHash('sha256').update(pem).digest() };
  }
  return { kind: 'none', vtpmNonce: input?.vtpmNonce !== undefined ? bytesOf(input.vtpmNonce) : undefined };
}

/** REPORT_DATA the evidence must carry: the nonce itself, or SHA3-512(teeNonce ‖ AK) when a vTPM AK is bound in. */
export function checkReportDataBinding(exp: BindingExpectation, reportData: Buffer, akPub: Buffer | undefined, checks: CheckList): boolean | undefined {
  if (!exp.teeNonce) return undefined;
  const expected = akPub ? createHash('sha3-512').update(Buffer.concat([exp.teeNonce, akPub])).digest() : exp.teeNonce;
  const what = akPub ? 'SHA3-512(teeNonce ‖ ak_pub)' : exp.kind === 'certificate' ? 'SHA-512(agent certificate PEM)' : 'verifier nonce';
  return checks.add('binding.report_data', bytesEqual(expected, reportData), `${what} = ${toHex(expected)}`, toHex(reportData));
}

export function describeBinding(exp: BindingExpectation, proven: boolean | undefined, policyPinsReportData: boolean, inner: string[]): Binding {
  if (exp.kind === 'nonce') return { kind: 'nonce', fresh: true, proven: proven === true, detail: proven ? 'fresh verifier nonce found in REPORT_DATA' : 'verifier nonce not found in REPORT_DATA', inner };
  if (exp.kind === 'certificate') {
    return { kind: 'certificate', fresh: false, proven: proven === true, detail: proven ? 'boot-time attestation, bound to the agent certificate (not fresh)' : 'agent certificate binding not proven', inner };
  }
  if (policyPinsReportData) return { kind: 'policy-report-data', fresh: false, proven: true, detail: 'REPORT_DATA pinned by the policy (no nonce or certificate given)', inner };
  return { kind: 'none', fresh: false, proven: false, detail: 'not bound to a nonce or certificate: replayable evidence', inner };
}
