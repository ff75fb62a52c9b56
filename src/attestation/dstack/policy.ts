// What a dstack attestation must show for cvmflow to call the CVM its own: the identity it deployed, the key
// provider it pinned, and optional allow-lists of OS images and boot measurements.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const KEY_PROVIDER_NAMES = ['kms', 'local-sgx', 'tpm', 'none'] as const;
export type KeyProviderName = (typeof KEY_PROVIDER_NAMES)[number];

/** Hex of an exact size, 0x / app_ / instance_ prefixes tolerated, normalised to bare lowercase. */
function hexOf(bytes: number, what: string) {
  return z
    .string()
    .transform((s) => s.trim().toLowerCase().replace(/^(?:0x|app_|instance_)/, ''))
    .refine((s) => s.length === bytes * 2 && /^[0-9a-f]*$/.test(s), { message: `${what}: expected ${bytes} bytes of hex (${bytes * 2} hex digits)` });
}

const anyHex = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/^0x/, ''))
  .refine((s) => /^(?:[0-9a-f]{2})*$/.test(s), { message: 'expected hex' });

export const MeasurementSetSchema = z
  .object({
    /** A name for the entry (OS image and instance type), shown in the verdict. */
    label: z.string().optional(),
    mrtd: hexOf(48, 'mrtd').optional(),
    rtmr0: hexOf(48, 'rtmr0').optional(),
    rtmr1: hexOf(48, 'rtmr1').optional(),
    rtmr2: hexOf(48, 'rtmr2').optional(),
  })
  .refine((m) => m.mrtd || m.rtmr0 || m.rtmr1 || m.rtmr2, { message: 'an allowed measurement set names at least one of mrtd, rtmr0, rtmr1, rtmr2' });

export const DstackPolicySchema = z
  .object({
    /** compose_hash from the provision response: SHA-256 of the exact app-compose.json the CVM runs. */
    composeHash: hexOf(32, 'composeHash').optional(),
    /** The exact app-compose.json text, when the caller has it; its SHA-256 is the expected compose hash. */
    appCompose: z.string().min(1).optional(),
    /** The docker compose file cvmflow deployed; must equal `docker_compose_file` inside the attested app-compose. */
    dockerComposeFile: z.string().optional(),
    /** Our app id (20 bytes; `app_` or `0x` prefixes are fine). */
    appId: hexOf(20, 'appId'),
    /** Our instance id; '' for apps deployed with no_instance_id. */
    instanceId: z.union([z.literal(''), hexOf(20, 'instanceId')]).optional(),
    /** Our vm_uuid: picks the instance in a per-app answer and ties its instance_id to the quote. */
    vmUuid: z.string().min(1).optional(),
    /** The key provider pinned on first success: name, and the KMS root key (hex DER SPKI) when known. */
    keyProvider: z.object({ name: z.enum(KEY_PROVIDER_NAMES), id: anyHex.optional() }).optional(),
    /** Key providers acceptable before one is pinned (dstack's `none` gives no sealing at all). */
    allowedKeyProviders: z.array(z.enum(KEY_PROVIDER_NAMES)).min(1).default(['kms']),
    /** Allowed values of the `os-image-hash` event. */
    allowedOsImageHashes: z.array(hexOf(32, 'allowedOsImageHashes[]')).min(1).optional(),
    /** Allowed (MRTD, RTMR0, RTMR1, RTMR2) sets, one per OS image and instance type. */
    allowedMeasurements: z.array(MeasurementSetSchema).min(1).optional(),
  })
  .refine((p) => p.composeHash !== undefined || p.appCompose !== undefined, {
    message: 'give composeHash (the provision response compose_hash) or appCompose (the exact app-compose.json text)',
    path: ['composeHash'],
  });

export type DstackPolicy = z.output<typeof DstackPolicySchema>;
export type DstackPolicyInput = z.input<typeof DstackPolicySchema>;

/** The compose hash the attestation must show, and whether the two ways of giving it agree. */
export function expectedComposeHash(p: DstackPolicy): { hash: string; conflict?: string } {
  const fromText = p.appCompose !== undefined ? createHash('sha256').update(p.appCompose, 'utf8').digest('hex') : undefined;
  if (p.composeHash && fromText && p.composeHash !== fromText) return { hash: p.composeHash, conflict: `composeHash ${p.composeHash} is not SHA-256 of appCompose (${fromText})` };
  return { hash: (p.composeHash ?? fromText)! };
}
