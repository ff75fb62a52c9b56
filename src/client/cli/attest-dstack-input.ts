// `attest verify` for Phala / dstack JSON evidence: recognise it, and build the expected identity from an --expect
// (or --policy) JSON file plus identity flags, with errors that name the flag and the field.
import { DstackPolicySchema, type DstackPolicy } from '../../attestation/dstack/policy';
import { looksLikeDstack } from '../../attestation/dstack/evidence';

/** The parsed JSON when the evidence file is a dstack / Phala attestation, else undefined (binary or other JSON). */
export function dstackJsonOf(evidence: Buffer): unknown {
  const text = evidence.toString('utf8').trimStart();
  if (!text.startsWith('{')) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    return looksLikeDstack(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

export interface DstackIdentityFlags {
  composeHash?: string;
  appCompose?: string;
  appId?: string;
  instanceId?: string;
  vmUuid?: string;
  keyProvider?: string;
}

export class DstackPolicyInputError extends Error {}

/** `--key-provider kms` or `--key-provider kms:3059…` (name, then the pinned id in hex). */
function keyProviderFlag(v: string): { name: string; id?: string } {
  const i = v.indexOf(':');
  return i < 0 ? { name: v } : { name: v.slice(0, i), id: v.slice(i + 1) };
}

export function buildDstackPolicy(file: { flag: string; path: string; text: string } | undefined, flags: DstackIdentityFlags): DstackPolicy {
  let base: Record<string, unknown> = {};
  if (file) {
    try {
      const json = JSON.parse(file.text) as unknown;
      if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
      base = json as Record<string, unknown>;
    } catch (err) {
      throw new DstackPolicyInputError(`${file.flag} ${file.path}: not a dstack policy JSON object (${(err as Error).message})`);
    }
  }
  const merged: Record<string, unknown> = {
    ...base,
    ...(flags.composeHash !== undefined ? { composeHash: flags.composeHash } : {}),
    ...(flags.appCompose !== undefined ? { appCompose: flags.appCompose } : {}),
    ...(flags.appId !== undefined ? { appId: flags.appId } : {}),
    ...(flags.instanceId !== undefined ? { instanceId: flags.instanceId === 'none' ? '' : flags.instanceId } : {}),
    ...(flags.vmUuid !== undefined ? { vmUuid: flags.vmUuid } : {}),
    ...(flags.keyProvider !== undefined ? { keyProvider: keyProviderFlag(flags.keyProvider) } : {}),
  };
  const parsed = DstackPolicySchema.safeParse(merged);
  if (!parsed.success) {
    const where = file ? `${file.flag} ${file.path} and flags` : 'identity flags';
    throw new DstackPolicyInputError(`${where}: not a valid dstack policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
