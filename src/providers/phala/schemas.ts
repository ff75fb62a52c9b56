// Zod schemas for the Phala Cloud CVM endpoints. Responses are loose (unknown fields kept) and tolerate the
// shapes of API versions 2025-10-28 (the docs), 2026-01-21 (our pinned default) and 2026-05-22 (hashid ids);
// requests are loose too (the real API passes extra fields through) but strict about what matters.
import { z } from 'zod';
import { ETH_ADDRESS_PATTERN, HEX32_PATTERN, isValidPhalaCvmName, MAX_COMPOSE_PAYLOAD_BYTES, TX_HASH_PATTERN } from '../../contract/rules/phala';

export const PHALA_API_VERSIONS = ['2025-10-28', '2026-01-21', '2026-05-22'] as const;
export type PhalaApiVersion = (typeof PHALA_API_VERSIONS)[number];
export const DEFAULT_PHALA_API_VERSION: PhalaApiVersion = '2026-01-21';

export const KMS_TYPES = ['PHALA', 'ETHEREUM', 'BASE'] as const;
export type KmsType = (typeof KMS_TYPES)[number];

/** Sentinel the API accepts instead of a tx hash: "check on-chain state only". */
export const ALREADY_REGISTERED = 'already-registered';

const str = z.string();
const optStr = str.nullable().optional();
const optInt = z.number().int().nullable().optional();
const optBool = z.boolean().nullable().optional();
/** Ids are numbers in 2025-10-28 (0 is a sentinel in 2026-01-21 lifecycle answers) and hashid strings later. */
export const IdSchema = z.union([z.number(), z.string()]);

// ---------------------------------------------------------------- shared pieces

export const NodeRefSchema = z.looseObject({ id: z.union([z.number(), z.string()]).nullable().optional(), name: optStr, region_identifier: optStr });

export const KmsInfoSchema = z.looseObject({
  id: optStr,
  slug: optStr,
  url: optStr,
  version: optStr,
  chain_id: z.number().int().nullable().optional(),
  kms_contract_address: optStr,
  gateway_app_id: optStr,
  // 2026-01-21 detail shape
  dstack_kms_address: optStr,
  dstack_app_address: optStr,
  deployer_address: optStr,
  rpc_endpoint: optStr,
  encrypted_env_pubkey: optStr,
});
export type PhalaKmsInfo = z.infer<typeof KmsInfoSchema>;

export const ProgressSchema = z.looseObject({ target: optStr, started_at: optStr, correlation_id: optStr });
export const PublicUrlSchema = z.looseObject({ app: optStr, instance: optStr });

// ---------------------------------------------------------------- requests

export const ComposeFileSchema = z.looseObject({
  docker_compose_file: str.optional(),
  bash_script: str.optional(),
  allowed_envs: z.array(str.regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'env names match ^[a-zA-Z_][a-zA-Z0-9_]*$')).optional(),
  pre_launch_script: str.optional(),
  name: str.optional(),
  runner: str.optional(),
  kms_enabled: z.boolean().optional(),
  public_logs: z.boolean().optional(),
  public_sysinfo: z.boolean().optional(),
  public_tcbinfo: z.boolean().optional(),
  gateway_enabled: z.boolean().optional(),
  tproxy_enabled: z.boolean().optional(),
  secure_time: z.boolean().optional(),
  no_instance_id: z.boolean().optional(),
  storage_fs: z.enum(['ext4', 'zfs']).optional(),
  manifest_version: z.number().int().optional(),
});
export type PhalaComposeFile = z.infer<typeof ComposeFileSchema>;

export const ProvisionCvmRequestSchema = z
  .looseObject({
    name: str.refine(isValidPhalaCvmName, 'name must be RFC 1123 style: 5-63 characters, start with a letter, letters/digits/dashes, no "--"'),
    compose_file: ComposeFileSchema,
    vcpu: z.number().int().positive().optional(),
    memory: z.number().int().positive().optional(),
    disk_size: z.number().int().positive().optional(),
    instance_type: str.optional(),
    teepod_id: z.number().int().nonnegative().optional(),
    node_id: z.number().int().nonnegative().optional(),
    region: str.optional(),
    image: str.optional(),
    listed: z.boolean().optional(),
    kms: z.enum(KMS_TYPES).optional(),
    kms_contract: str.optional(),
    kms_id: str.optional(),
    env_keys: z.array(str).optional(),
    nonce: z.number().int().nonnegative().optional(),
    app_id: str.optional(),
  })
  .refine((r) => r.compose_file.docker_compose_file !== undefined || r.compose_file.bash_script !== undefined, {
    message: 'compose_file.docker_compose_file is required',
    path: ['compose_file', 'docker_compose_file'],
  })
  .refine((r) => Buffer.byteLength(r.compose_file.docker_compose_file ?? r.compose_file.bash_script ?? '') + Buffer.byteLength(r.compose_file.pre_launch_script ?? '') <= MAX_COMPOSE_PAYLOAD_BYTES, {
    message: `compose file plus pre-launch script exceed ${MAX_COMPOSE_PAYLOAD_BYTES} bytes`,
    path: ['compose_file'],
  })
  .refine((r) => r.teepod_id === undefined || r.node_id === undefined || r.teepod_id === r.node_id, { message: 'teepod_id and node_id disagree', path: ['node_id'] });
export type ProvisionCvmRequest = z.input<typeof ProvisionCvmRequestSchema>;

export const CommitCvmRequestSchema = z.looseObject({
  app_id: str.min(1),
  compose_hash: str.regex(HEX32_PATTERN, 'compose_hash is 32 bytes of hex'),
  encrypted_env: str.regex(/^(0x)?([0-9a-fA-F]{2})+$/, 'encrypted_env is hex').optional(),
  env_keys: z.array(str).optional(),
  kms_id: str.optional(),
  contract_address: str.regex(ETH_ADDRESS_PATTERN, 'contract_address is 0x + 40 hex').optional(),
  deployer_address: str.regex(ETH_ADDRESS_PATTERN, 'deployer_address is 0x + 40 hex').optional(),
  transaction_hash: z.union([str.regex(TX_HASH_PATTERN, 'transaction_hash is 0x + 64 hex'), z.literal(ALREADY_REGISTERED)]).optional(),
});
export type CommitCvmRequest = z.input<typeof CommitCvmRequestSchema>;

export const RestartCvmRequestSchema = z.object({ force: z.boolean().default(false) });
export const ReplicateCvmRequestSchema = z.looseObject({ node_id: z.number().int().nonnegative().optional() });

export const WatchQuerySchema = z.object({
  target: str.min(1),
  interval: z.number().int().min(5).max(30).default(5),
  timeout: z.number().int().min(10).max(600).default(300),
});

export const ListCvmsQuerySchema = z.object({
  page: z.number().int().positive().optional(),
  page_size: z.number().int().positive().max(100).optional(),
  node_id: z.number().int().nonnegative().optional(),
  teepod_id: z.number().int().nonnegative().optional(),
  user_id: str.optional(),
});

// ---------------------------------------------------------------- responses

/** VMSchema: what lifecycle mutations answer. */
export const VmSchema = z.looseObject({
  id: IdSchema,
  name: str,
  status: str,
  teepod_id: optInt,
  teepod: NodeRefSchema.nullable().optional(),
  user_id: z.union([z.number(), z.string()]).nullable().optional(),
  app_id: optStr,
  vm_uuid: optStr,
  instance_id: optStr,
  app_url: optStr,
  base_image: optStr,
  vcpu: optInt,
  memory: optInt,
  disk_size: optInt,
  manifest_version: optInt,
  version: optStr,
  runner: optStr,
  docker_compose_file: optStr,
  features: z.array(str).nullable().optional(),
  created_at: optStr,
  encrypted_env_pubkey: optStr,
  in_progress: optBool,
  progress: ProgressSchema.nullable().optional(),
});
export type PhalaVm = z.infer<typeof VmSchema>;

export const CommitCvmResponseSchema = VmSchema.extend({ app_auth_contract_address: optStr, deployer_address: optStr });
export type PhalaCommitCvmResponse = z.infer<typeof CommitCvmResponseSchema>;

/** GET /cvms/{id}: CvmDetail (2025-10-28) or CvmInfoDetailV20260121. */
export const CvmDetailSchema = z.looseObject({
  id: IdSchema,
  name: str,
  status: str,
  app_id: str.nullable(),
  vm_uuid: optStr,
  instance_id: optStr,
  in_progress: optBool,
  progress: ProgressSchema.nullable().optional(),
  // 2025-10-28
  vcpu: optInt,
  memory: optInt,
  disk_size: optInt,
  teepod_id: optInt,
  teepod: NodeRefSchema.nullable().optional(),
  base_image: optStr,
  encrypted_env_pubkey: optStr,
  listed: optBool,
  project_id: optStr,
  instance_type: optStr,
  kms_info: KmsInfoSchema.nullable().optional(),
  contract_address: optStr,
  deployer_address: optStr,
  scheduled_delete_at: optStr,
  public_urls: z.array(PublicUrlSchema).nullable().optional(),
  gateway_domain: optStr,
  // 2026-01-21
  resource: z.looseObject({ instance_type: optStr, vcpu: optInt, memory_in_gb: z.number().nullable().optional(), disk_in_gb: z.number().nullable().optional() }).nullable().optional(),
  node_info: z.looseObject({ id: z.union([z.number(), z.string()]).nullable().optional(), name: optStr, region: optStr, device_id: optStr }).nullable().optional(),
  os: z.looseObject({ name: optStr, version: optStr, is_dev: optBool, os_image_hash: optStr }).nullable().optional(),
  kms_type: optStr,
  compose_hash: optStr,
  boot_error: optStr,
});
export type PhalaCvmDetail = z.infer<typeof CvmDetailSchema>;

/** VmInfo from the teepod RPC, nested as `hosted` in the legacy list. */
export const HostedVmInfoSchema = z.looseObject({
  id: str,
  name: str,
  status: str,
  uptime: optStr,
  app_id: optStr,
  app_url: optStr,
  instance_id: optStr,
  configuration: z.looseObject({}).nullable().optional(),
  exited_at: optStr,
  boot_progress: optStr,
  boot_error: optStr,
  shutdown_progress: optStr,
  image_version: optStr,
});

/** One list item: legacy `{hosted, name, status, …}` or a 2026-01-21 item with top-level ids. */
export const CvmListItemSchema = z.looseObject({
  hosted: HostedVmInfoSchema.optional(),
  id: IdSchema.nullable().optional(),
  name: str,
  status: str,
  app_id: optStr,
  vm_uuid: optStr,
  instance_id: optStr,
  in_progress: optBool,
  progress: ProgressSchema.nullable().optional(),
  node: NodeRefSchema.nullable().optional(),
  node_info: z.looseObject({ id: z.union([z.number(), z.string()]).nullable().optional(), name: optStr }).nullable().optional(),
  public_urls: z.array(PublicUrlSchema).nullable().optional(),
  kms_info: KmsInfoSchema.nullable().optional(),
  vcpu: optInt,
  memory: optInt,
  disk_size: optInt,
  boot_error: optStr,
});
export type PhalaCvmListItem = z.infer<typeof CvmListItemSchema>;

const PaginatedListSchema = z.looseObject({
  items: z.array(CvmListItemSchema),
  total: z.number().int().nonnegative(),
  page: z.number().int().optional(),
  page_size: z.number().int().optional(),
  pages: z.number().int().optional(),
});

/** Both list shapes, normalised to the paginated form. */
export const CvmListSchema = z.union([z.array(CvmListItemSchema), PaginatedListSchema]).transform((v) =>
  Array.isArray(v) ? { items: v, total: v.length, page: 1, page_size: v.length, pages: 1, legacy: true } : { ...v, legacy: false },
);
export type PhalaCvmList = z.infer<typeof CvmListSchema>;

export const ProvisionCvmResponseSchema = z
  .looseObject({
    app_id: optStr,
    app_env_encrypt_pubkey: optStr,
    compose_hash: str.min(1),
    kms_info: KmsInfoSchema.nullable().optional(),
    fmspc: optStr,
    device_id: optStr,
    os_image_hash: optStr,
    instance_type: optStr,
    teepod_id: optInt,
    node_id: optInt,
    kms_id: optStr,
    kms_contract_id: optStr,
    token: optStr,
  })
  .transform((v) => ({ ...v, node_id: v.node_id ?? v.teepod_id ?? null }));
export type PhalaProvisionCvmResponse = z.infer<typeof ProvisionCvmResponseSchema>;

/** DELETE answers with no body (tolerate `null` or `{}` too). */
export const EmptySchema = z.union([z.undefined(), z.null(), z.looseObject({})]).transform(() => undefined);

// ---------------------------------------------------------------- SSE events (§4.1)

export const CvmStateSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullable().optional(),
  instance_id: optStr,
  name: str,
  status: str,
  uptime: optStr,
  exited_at: optStr,
  boot_progress: optStr,
  boot_error: optStr,
  shutdown_progress: optStr,
});
export type PhalaCvmState = z.infer<typeof CvmStateSchema>;
export const CompleteEventSchema = z.looseObject({ status: str, elapsed: z.number(), target: str });
export const TimeoutEventSchema = z.looseObject({ error: str, elapsed: z.number(), target: str });
export const ErrorEventSchema = z.looseObject({ error: str, elapsed: z.number().optional(), message: str.optional() });

export type PhalaStateEvent =
  | { type: 'state'; state: PhalaCvmState }
  | { type: 'complete'; status: string; elapsed: number; target: string }
  | { type: 'timeout'; error: string; elapsed: number; target: string }
  | { type: 'error'; error: string; elapsed?: number; message?: string };

// ---------------------------------------------------------------- error bodies (§5)

export const ValidationIssueSchema = z.looseObject({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: str, type: str.optional() });
export const StructuredErrorSchema = z.looseObject({
  error_code: str,
  message: str.optional(),
  details: z.array(z.looseObject({ field: optStr, value: z.unknown().optional(), message: optStr })).nullable().optional(),
  suggestions: z.array(str).nullable().optional(),
  links: z.array(z.looseObject({ label: optStr, url: optStr })).nullable().optional(),
});
export const ApiErrorSchema = z.looseObject({
  detail: z.union([str, z.array(ValidationIssueSchema), StructuredErrorSchema, z.looseObject({})]),
  type: optStr,
  code: optStr,
});
