// CVM identifiers (SDK `CvmIdSchema` semantics, provider-notes/phala.md §1): a CVM may be addressed by id, cvm_id,
// app_id, uuid, instance_id or name. Normalisation: a UUID (with or without dashes) loses its dashes, a bare
// 40-hex string becomes `app_<hex>`, anything else (names, `cvm_…` hashids, `app_…`, `instance_…`, numeric ids)
// passes through unchanged.
import { z } from 'zod';

const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_PLAIN = /^[0-9a-f]{32}$/i;
const HEX40 = /^[0-9a-f]{40}$/i;

/** The fields a CVM reference may use, as the docs list them. */
export const CVM_REF_FIELDS = ['id', 'cvm_id', 'uuid', 'app_id', 'instance_id', 'name'] as const;
export type CvmRefField = (typeof CVM_REF_FIELDS)[number];
export type CvmRefObject = Partial<Record<CvmRefField, string | number>>;

/** Normalises one identifier value as the SDK does. */
export function normalizeCvmId(value: string | number): string {
  const v = String(value).trim();
  if (UUID_DASHED.test(v)) return v.replace(/-/g, '');
  if (UUID_PLAIN.test(v)) return v;
  if (HEX40.test(v)) return `app_${v}`;
  return v;
}

/**
 * Resolves a reference object to the path identifier. The first present field wins in the order
 * id, cvm_id, uuid, app_id, instance_id, name. A bare 40-hex `instance_id` becomes `instance_<hex>`
 * (the SDK would turn it into `app_<hex>`, which names a different thing).
 */
export function resolveCvmRef(ref: CvmRefObject | string): string {
  if (typeof ref === 'string') {
    if (ref.trim() === '') throw new Error('CVM identifier must not be empty');
    return normalizeCvmId(ref);
  }
  for (const field of CVM_REF_FIELDS) {
    const raw = ref[field];
    if (raw === undefined || raw === null || String(raw).trim() === '') continue;
    const v = String(raw).trim();
    if (field === 'instance_id' && HEX40.test(v)) return `instance_${v}`;
    if (field === 'app_id' && /^0x[0-9a-f]{40}$/i.test(v)) return `app_${v.slice(2)}`;
    return normalizeCvmId(v);
  }
  throw new Error(`a CVM identifier is required: one of ${CVM_REF_FIELDS.join(', ')}`);
}

/** A 40-hex app id, with or without `0x` / `app_`, in its canonical bare lowercase form; undefined otherwise. */
export function canonicalAppId(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(?:0x|app_)?([0-9a-f]{40})$/i.exec(value.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

const refValue = z.union([z.string().trim().min(1), z.number().int().nonnegative()]);

/** Zod shape of a reference object, for activity inputs and client params (at least one field). */
export const CvmRefShape = {
  id: refValue.optional(),
  cvm_id: refValue.optional(),
  uuid: z.string().trim().min(1).optional(),
  app_id: z.string().trim().min(1).optional(),
  instance_id: z.string().trim().min(1).optional(),
  name: z.string().trim().min(1).optional(),
};

export function hasCvmRef(v: CvmRefObject): boolean {
  return CVM_REF_FIELDS.some((f) => v[f] !== undefined && String(v[f]).trim() !== '');
}

export const CVM_REF_MESSAGE = `one of ${CVM_REF_FIELDS.join(', ')} is required`;
