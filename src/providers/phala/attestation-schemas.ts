// Zod schemas of the two attestation endpoints beyond the docs (provider-notes/phala-attestation.md §1). Shapes vary
// between API revisions, so they are lenient: unknown fields kept, almost every field nullable, the event log at
// `tcb_info.event_log` (newer) or `instances[].eventlog` (older), as an array or JSON text, quotes as hex or bytes.
// What the fields mean is decided by the verifier (src/attestation/dstack), never here.
import { z } from 'zod';

const optStr = z.string().nullable().optional();
const optBool = z.boolean().nullable().optional();
const optNum = z.number().nullable().optional();
/** Hex text (bare or 0x) or an array of byte values. */
const bytesLike = z.union([z.string(), z.array(z.number().int().min(0).max(255))]).nullable().optional();

export const AttestationEventSchema = z.looseObject({
  imr: z.union([z.number().int(), z.string()]),
  event_type: z.union([z.number().int(), z.string()]),
  digest: bytesLike,
  event: optStr,
  event_payload: bytesLike,
});

/** An event log as an array, or as JSON text of one (guest agents send text). */
export const EventLogSchema = z.union([z.array(AttestationEventSchema), z.string()]).nullable().optional();

export const TcbInfoSchema = z.looseObject({
  mrtd: optStr,
  rootfs_hash: optStr,
  rtmr0: optStr,
  rtmr1: optStr,
  rtmr2: optStr,
  rtmr3: optStr,
  event_log: EventLogSchema,
  app_compose: optStr,
  compose_hash: optStr,
  os_image_hash: optStr,
  device_id: optStr,
});
/** tcb_info as an object, or as JSON text of one (the guest agent's Info API sends text). */
const TcbInfoField = z.union([TcbInfoSchema, z.string()]).nullable().optional();

const CertNameSchema = z.looseObject({ common_name: optStr, organization: optStr, country: optStr, state: optStr, locality: optStr });

export const AppCertificateSchema = z.looseObject({
  subject: CertNameSchema.nullable().optional(),
  issuer: CertNameSchema.nullable().optional(),
  serial_number: optStr,
  not_before: optStr,
  not_after: optStr,
  version: z.union([z.string(), z.number()]).nullable().optional(),
  fingerprint: optStr,
  signature_algorithm: optStr,
  sans: z.array(z.string()).nullable().optional(),
  is_ca: optBool,
  /** 0 = end entity: its quote is the CVM's. */
  position_in_chain: optNum,
  quote: bytesLike,
  app_id: optStr,
  cert_usage: optStr,
});

/** GET /cvms/{id}/attestation. A stopped CVM answers is_online false, an error, and null tcb_info / certificates. */
export const CvmAttestationSchema = z.looseObject({
  name: optStr,
  is_online: optBool,
  is_public: z.boolean().nullable().optional(),
  error: optStr,
  compose_file: z.union([z.string(), z.looseObject({})]).nullable().optional(),
  app_certificates: z.array(AppCertificateSchema).nullable().optional(),
  tcb_info: TcbInfoField,
});
export type PhalaCvmAttestation = z.infer<typeof CvmAttestationSchema>;

export const AppAttestationInstanceSchema = z.looseObject({
  vm_uuid: optStr,
  name: optStr,
  instance_id: optStr,
  status: optStr,
  /** "dstack-[nvidia-][dev-]X.Y.Z"; a claim until the measurements bind it. */
  image_version: optStr,
  quote: bytesLike,
  ppid: optStr,
  ppid_sha256: optStr,
  device_id: optStr,
  fmspc: optStr,
  tee_tcb_svn: optStr,
  cpusvn: optStr,
  pcesvn: z.union([z.string(), z.number()]).nullable().optional(),
  tcb_info: TcbInfoField,
  /** Older answers carry the event log here. */
  eventlog: EventLogSchema,
  app_certificates: z.array(AppCertificateSchema).nullable().optional(),
  compose_file: z.union([z.string(), z.looseObject({})]).nullable().optional(),
  error: optStr,
});

/** GET /apps/{app_id}/attestations: every replica; `kms_info.chain_id` is an integer (a string is rejected). */
export const AppAttestationsSchema = z.looseObject({
  app_id: optStr,
  contract_address: optStr,
  kms_info: z
    .looseObject({
      contract_address: optStr,
      chain_id: z.number().int().nullable().optional(),
      version: optStr,
      url: optStr,
      gateway_app_id: optStr,
      gateway_app_url: optStr,
      kms_type: optStr,
    })
    .nullable()
    .optional(),
  instances: z.array(AppAttestationInstanceSchema),
  kms_guest_agent_info: z.unknown().optional(),
  gateway_guest_agent_info: z.unknown().optional(),
  qemu_version: optStr,
});
export type PhalaAppAttestations = z.infer<typeof AppAttestationsSchema>;
