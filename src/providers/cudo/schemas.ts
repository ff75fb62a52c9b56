// zod schemas for the CUDO Compute VM API (grpc-gateway v2 + protojson; notes cudo.md §2, Swagger `definitions.*`).
// Responses are tolerant the way a protojson client must be: unknown fields kept (looseObject), `null` = absent,
// missing fields = zero values, integers as numbers or numeric strings, enums as names or numbers. int64 values
// (monitor counters) stay decimal strings so no precision is lost on their way into Temporal history.
// Only what we cannot work without is required (CreateVMResponse.id, GetVMResponse.VM.id, ResizeVMResponse.vm, ...).
import { z } from 'zod';
import { CUDO_VM_ID_PATTERN } from '../../contract/rules/cudo';

// ---------------------------------------------------------------------------------------------------------------
// Enums (names in proto order: the index is the wire number protojson also accepts)

export const VM_STATES = [
  'CLONING',
  'CREATING_SNAPSHOT',
  'DELETED',
  'DELETING',
  'DELETING_SNAPSHOT',
  'FAILED',
  'HOTPLUGGING',
  'MIGRATING',
  'RECREATING',
  'REVERTING_SNAPSHOT',
  'RESIZING',
  'RESIZING_DISK',
  'ACTIVE',
  'STARTING',
  'STOPPED',
  'STOPPING',
  'SUSPENDED',
  'SUSPENDING',
  'UNKNOWN',
  'PENDING',
] as const;
export type VmState = (typeof VM_STATES)[number];

export const SSH_KEY_SOURCES = ['SSH_KEY_SOURCE_UNKNOWN', 'SSH_KEY_SOURCE_PROJECT', 'SSH_KEY_SOURCE_USER', 'SSH_KEY_SOURCE_NONE'] as const;
export const COMMITMENT_TERMS = [
  'COMMITMENT_TERM_NONE',
  'COMMITMENT_TERM_1_MONTH',
  'COMMITMENT_TERM_3_MONTHS',
  'COMMITMENT_TERM_6_MONTHS',
  'COMMITMENT_TERM_12_MONTHS',
  'COMMITMENT_TERM_24_MONTHS',
  'COMMITMENT_TERM_36_MONTHS',
  'COMMITMENT_TERM_60_MONTHS',
] as const;
export const STORAGE_CLASSES = ['STORAGE_CLASS_UNKNOWN', 'STORAGE_CLASS_LOCAL', 'STORAGE_CLASS_NETWORK'] as const;
export const DISK_TYPES = ['DISK_TYPE_UNKNOWN', 'DISK_TYPE_BOOT', 'DISK_TYPE_STORAGE'] as const;
export const DISK_STATES = [
  'DISK_STATE_INIT',
  'DISK_STATE_READY',
  'DISK_STATE_USED',
  'DISK_STATE_DISABLED',
  'DISK_STATE_LOCKED',
  'DISK_STATE_ERROR',
  'DISK_STATE_CLONE',
  'DISK_STATE_DELETE',
] as const;
export const SG_PROTOCOLS = ['PROTOCOL_UNKNOWN', 'PROTOCOL_ALL', 'PROTOCOL_TCP', 'PROTOCOL_UDP', 'PROTOCOL_ICMP', 'PROTOCOL_ICMPv6', 'PROTOCOL_IPSEC'] as const;
export const SG_RULE_TYPES = ['RULE_TYPE_UNKNOWN', 'RULE_TYPE_INBOUND', 'RULE_TYPE_OUTBOUND'] as const;
export const VROUTER_SIZES = ['VROUTER_INSTANCE_UNKNOWN', 'VROUTER_INSTANCE_SMALL', 'VROUTER_INSTANCE_MEDIUM', 'VROUTER_INSTANCE_LARGE'] as const;


// ---------------------------------------------------------------------------------------------------------------
// Lenient scalar building blocks

/** `null` reads as absent (protojson's unset message fields). */
function nullish<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

const INT_TEXT = /^[+-]?\d+$/;

/** int32/uint32: a JSON number, or (leniently) a numeric string. */
export const lenientInt = z.union([z.number().int(), z.string().trim().regex(INT_TEXT, 'expected an integer').transform(Number)]);

/** int64/uint64: protojson sends a decimal string; kept as a canonical decimal string (no precision loss). */
export const int64String = z.union([
  z.string().trim().regex(INT_TEXT, 'expected an int64 decimal string').transform((s) => BigInt(s).toString()),
  z.number().int().transform((n) => BigInt(n).toString()),
]);

/** A float (`cpu`, ratios): number, or a numeric string. */
const lenientNumber = z.union([z.number(), z.string().trim().regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'expected a number').transform(Number)]);

/** An enum by name, or by proto number (mapped back to the name); unknown names are kept (spec drift). */
function lenientEnum<const N extends readonly string[]>(names: N) {
  return z.union([z.string(), z.number().int().nonnegative()]).transform((v): N[number] | (string & {}) => (typeof v === 'number' ? (names[v] ?? String(v)) : v));
}

const str = nullish(z.string());
const int = nullish(lenientInt);
const bool = nullish(z.boolean());
const strList = nullish(z.array(z.string())).transform((v) => v ?? []);
const metadataMap = nullish(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)));

function list<T extends z.ZodType>(item: T) {
  return nullish(z.array(item)).transform((v): Array<z.output<T>> => v ?? []);
}

/** `Decimal` = `{"value":"0.45"}`: money is a decimal string, never a float; an empty value is 0. */
export const decimalSchema = z.looseObject({
  value: nullish(z.union([z.string().trim().regex(/^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)?$/, 'expected a decimal string'), z.number().transform(String)])).transform((v) => (v === undefined || v === '' ? '0' : v)),
});
export type Decimal = z.output<typeof decimalSchema>;
const decimal = nullish(decimalSchema);

// ---------------------------------------------------------------------------------------------------------------
// Objects

export const diskSchema = z.looseObject({
  id: str,
  projectId: str,
  dataCenterId: str,
  vmId: str,
  sizeGib: int,
  storageClass: nullish(lenientEnum(STORAGE_CLASSES)),
  diskType: nullish(lenientEnum(DISK_TYPES)),
  publicImageId: str,
  privateImageId: str,
  createTime: str,
  diskState: nullish(lenientEnum(DISK_STATES)),
});
export type Disk = z.output<typeof diskSchema>;

const securityGroupRuleSchema = z.looseObject({
  id: str,
  protocol: nullish(lenientEnum(SG_PROTOCOLS)),
  ports: str,
  ruleType: nullish(lenientEnum(SG_RULE_TYPES)),
  ipRangeCidr: str,
  icmpType: str,
});

const vmNicSchema = z.looseObject({
  networkId: str,
  externalIpAddress: str,
  internalIpAddress: str,
  networkAddress: str,
  securityGroupIds: strList,
});

/** The hourly prices a VM's price and a get-VM response both carry (each spells the IPv4 price its own way). */
const hourlyPrices = {
  vcpuPriceHr: decimal,
  totalVcpuPriceHr: decimal,
  memoryGibPriceHr: decimal,
  totalMemoryPriceHr: decimal,
  gpuPriceHr: decimal,
  totalGpuPriceHr: decimal,
  storageGibPriceHr: decimal,
  totalStoragePriceHr: decimal,
  totalPriceHr: decimal,
};

const vmPriceSchema = z.looseObject({ ...hourlyPrices, ipv4AddressPriceHr: decimal });

const securityGroupSchema = z.looseObject({
  projectId: str,
  dataCenterId: str,
  id: str,
  description: str,
  rules: list(securityGroupRuleSchema),
});

/**
 * `definitions.VM`. Traps kept as the API spells them: `datacenterId` (lowercase c), `memory` (GiB), `gpuQuantity`.
 * `state` stays absent when the server omitted it (zero value = CLONING, see `states.ts`).
 */
export const vmSchema = z.looseObject({
  id: str,
  datacenterId: str,
  machineType: str,
  regionId: str,
  regionName: str,
  externalIpAddress: str,
  internalIpAddress: str,
  publicIpAddress: str,
  memory: int,
  cpuModel: str,
  vcpus: int,
  gpuModel: str,
  gpuModelId: str,
  gpuQuantity: int,
  bootDiskSizeGib: int,
  renewableEnergy: bool,
  imageId: str,
  publicImageId: str,
  publicImageName: str,
  privateImageId: str,
  imageName: str,
  createBy: str,
  nics: list(vmNicSchema),
  rules: list(securityGroupRuleSchema),
  securityGroupIds: strList,
  shortState: str,
  bootDisk: nullish(diskSchema),
  storageDisks: list(diskSchema),
  metadata: metadataMap,
  state: nullish(lenientEnum(VM_STATES)),
  createTime: str,
  expireTime: str,
  price: nullish(vmPriceSchema),
  commitmentTerm: nullish(lenientEnum(COMMITMENT_TERMS)),
  commitmentEndTime: str,
  sshKeySource: nullish(lenientEnum(SSH_KEY_SOURCES)),
  authorizedSshKeys: nullish(z.union([z.string(), z.array(z.string())])),
  securityGroups: list(securityGroupSchema),
});
export type Vm = z.output<typeof vmSchema>;

/** A VM we asked for by id: the id must be there. */
const identifiedVmSchema = vmSchema.extend({ id: z.string().min(1) });

export const privateImageSchema = z.looseObject({
  projectId: str,
  id: z.string().min(1),
  dataCenterId: str,
  description: str,
  sizeGib: int,
  platform: str,
  state: str,
});
export type PrivateImage = z.output<typeof privateImageSchema>;

export const monitoringItemSchema = z.looseObject({
  cpu: nullish(lenientNumber),
  diskRdBytes: nullish(int64String),
  diskRdIops: nullish(int64String),
  diskWrBytes: nullish(int64String),
  diskWrIops: nullish(int64String),
  memory: nullish(int64String),
  netRx: nullish(int64String),
  netTx: nullish(int64String),
  timestamp: nullish(int64String),
  /** Doc-only field of unstated type: kept as text. */
  guestPing: nullish(z.union([z.string(), z.number(), z.boolean()]).transform(String)),
});
export type MonitoringItem = z.output<typeof monitoringItemSchema>;

export const dataCenterSchema = z.looseObject({
  id: z.string().min(1),
  regionId: str,
  supplierName: str,
  renewableEnergy: bool,
  diskPoolPricing: list(z.looseObject({ storageClass: nullish(lenientEnum(STORAGE_CLASSES)), diskGibPriceHr: decimal, snapshotGibPriceHr: decimal })),
  networkPricing: list(z.looseObject({ size: nullish(lenientEnum(VROUTER_SIZES)), priceHr: decimal })),
  ipv4PriceHr: decimal,
  ipv4Free: nullish(lenientInt).transform((v) => v ?? 0),
  s3Endpoint: str,
});
export type DataCenter = z.output<typeof dataCenterSchema>;

export const gpuModelSchema = z.looseObject({ id: z.string().min(1), vendorName: str, modelName: str, memoryGib: int });

export const machineTypeSchema = z.looseObject({
  dataCenterId: z.string().min(1),
  machineType: z.string().min(1),
  cpuModel: str,
  gpuModel: str,
  gpuModelId: str,
  minVcpuPerMemoryGib: nullish(lenientNumber),
  maxVcpuPerMemoryGib: nullish(lenientNumber),
  minVcpuPerGpu: nullish(lenientNumber),
  maxVcpuPerGpu: nullish(lenientNumber),
  vcpuPriceHr: decimal,
  memoryGibPriceHr: decimal,
  gpuPriceHr: decimal,
  minStorageGibPriceHr: decimal,
  ipv4PriceHr: decimal,
  renewableEnergy: bool,
  maxVcpuFree: int,
  totalVcpuFree: int,
  maxMemoryGibFree: int,
  totalMemoryGibFree: int,
  maxGpuFree: int,
  totalGpuFree: int,
  maxStorageGibFree: int,
  totalStorageGibFree: int,
  minVcpu: nullish(lenientNumber),
  minMemoryGib: nullish(lenientNumber),
});
export type MachineType = z.output<typeof machineTypeSchema>;

export const publicImageSchema = z.looseObject({
  id: z.string().min(1),
  name: str,
  description: str,
  displayName: str,
  platform: str,
  sizeGib: int,
  installedPackages: list(z.looseObject({ name: str, description: str, version: str })),
});

// ---------------------------------------------------------------------------------------------------------------
// Responses (one per endpoint). Empty answers are `{}`; an empty body is tolerated too.

const emptySchema = z.preprocess((v) => v ?? {}, z.looseObject({}));

export const countVmsResponse = z.looseObject({ count: nullish(lenientInt).transform((v) => v ?? 0) });
export const listPrivateImagesResponse = z.looseObject({
  images: list(privateImageSchema),
  totalCount: nullish(lenientInt).transform((v) => v ?? 0),
  pageNumber: nullish(lenientInt).transform((v) => v ?? 0),
  pageSize: nullish(lenientInt).transform((v) => v ?? 0),
});
export const privateImageResponse = z.looseObject({ image: privateImageSchema });
export const deletePrivateImageResponse = emptySchema;
export const updatePrivateImageResponse = emptySchema;
/** Only `id` is reliably present; `vm` is parsed but may be absent or partial (dstack PR #1179). */
export const createVmResponse = z.looseObject({ id: z.string().min(1), vm: nullish(vmSchema) });
export const updateVmMetadataResponse = z.looseObject({ metadata: metadataMap.transform((m) => m ?? {}) });
export const securityGroupResponse = emptySchema;
/** Capital `VMs`; not paginated. */
export const listVmsResponse = z.looseObject({ VMs: list(vmSchema) });
/** Capital `VM` plus 10 Decimals; note `ipv4PriceHr` here vs `VM.price.ipv4AddressPriceHr`. */
export const getVmResponse = z.looseObject({
  VM: identifiedVmSchema,
  ...hourlyPrices,
  ipv4PriceHr: decimal,
});
export const connectVmResponse = z.looseObject({ connectUrl: z.string().min(1), token: z.string() });
export const listVmDisksResponse = z.looseObject({ disks: list(diskSchema) });
export const resizeVmDiskResponse = emptySchema;
export const monitorVmResponse = z.looseObject({ items: list(monitoringItemSchema) });
export const vmActionResponse = emptySchema;
/** Lowercase `vm` (unlike GET's `VM`). */
export const resizeVmResponse = z.looseObject({ vm: vmSchema });
export const listDataCentersResponse = z.looseObject({ dataCenters: list(dataCenterSchema) });
export const listGpuModelsResponse = z.looseObject({ gpuModels: list(gpuModelSchema) });
export const listMachineTypesResponse = z.looseObject({ machineTypes: list(machineTypeSchema) });
export const listPublicImagesResponse = z.looseObject({ images: list(publicImageSchema) });

export type CountVmsResponse = z.output<typeof countVmsResponse>;
export type ListPrivateImagesResponse = z.output<typeof listPrivateImagesResponse>;
export type PrivateImageResponse = z.output<typeof privateImageResponse>;
export type EmptyResponse = z.output<typeof emptySchema>;
export type CreateVmResponse = z.output<typeof createVmResponse>;
export type UpdateVmMetadataResponse = z.output<typeof updateVmMetadataResponse>;
export type ListVmsResponse = z.output<typeof listVmsResponse>;
export type GetVmResponse = z.output<typeof getVmResponse>;
export type ConnectVmResponse = z.output<typeof connectVmResponse>;
export type ListVmDisksResponse = z.output<typeof listVmDisksResponse>;
export type MonitorVmResponse = z.output<typeof monitorVmResponse>;
export type ResizeVmResponse = z.output<typeof resizeVmResponse>;
export type ListDataCentersResponse = z.output<typeof listDataCentersResponse>;
export type ListGpuModelsResponse = z.output<typeof listGpuModelsResponse>;
export type ListMachineTypesResponse = z.output<typeof listMachineTypesResponse>;
export type ListPublicImagesResponse = z.output<typeof listPublicImagesResponse>;

// ---------------------------------------------------------------------------------------------------------------
// Requests (validated before sending; camelCase on the wire)

const vmIdSchema = z.string().regex(CUDO_VM_ID_PATTERN, 'must match ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$ (lowercase letters, digits, -; at most 63)');
const idSchema = z.string().min(1);

/** `CreateVMBody`. `bootDisk.id` is rejected on purpose: a fixed disk id fails every retry with code 6 (dstack PR #1092). */
export const createVmBodySchema = z.object({
  vmId: vmIdSchema,
  dataCenterId: idSchema,
  machineType: idSchema,
  bootDiskImageId: idSchema,
  vcpus: z.number().int().positive(),
  memoryGib: z.number().int().positive(),
  gpus: z.number().int().nonnegative().default(0),
  startScript: z.string().optional(),
  sshKeySource: z.enum(SSH_KEY_SOURCES).optional(),
  customSshKeys: z.array(z.string().min(1)).optional(),
  password: z.string().min(6).max(64).optional(),
  bootDisk: z.strictObject({ sizeGib: z.number().int().positive(), storageClass: z.enum(STORAGE_CLASSES).optional() }).optional(),
  cpuModel: z.string().min(1).optional(),
  gpuModel: z.string().min(1).optional(),
  gpuModelId: z.string().min(1).optional(),
  nics: z.array(z.object({ networkId: idSchema, assignPublicIp: z.boolean().optional(), securityGroupIds: z.array(idSchema).optional() })).optional(),
  securityGroupIds: z.array(idSchema).optional(),
  storageDiskIds: z.array(idSchema).optional(),
  metadata: z.record(z.string().min(1), z.string()).optional(),
  topology: z.object({ sockets: z.number().int().positive().optional(), cores: z.number().int().positive().optional(), threads: z.number().int().positive().optional() }).optional(),
  validateOnly: z.boolean().optional(),
  expireTime: z.iso.datetime({ offset: true }).optional(),
  ttl: z.string().regex(/^\d+(\.\d{1,9})?s$/, 'a protobuf Duration such as "3600s"').optional(),
  /** Only NONE: the other terms are billing commitments we never enter into. */
  commitmentTerm: z.literal('COMMITMENT_TERM_NONE').optional(),
});
export type CreateVmBody = z.input<typeof createVmBodySchema>;

export const updateVmMetadataBodySchema = z.object({ metadata: z.record(z.string().min(1), z.string()), merge: z.boolean().default(false) });
export type UpdateVmMetadataBody = z.input<typeof updateVmMetadataBodySchema>;

export const vmIdParams = z.object({ id: idSchema });
export const imageIdParams = z.object({ id: idSchema });
export const listPrivateImagesParams = z.object({ pageNumber: z.number().int().nonnegative().optional(), pageSize: z.number().int().positive().optional() });
export const createPrivateImageParams = z.object({ vmId: idSchema, id: vmIdSchema, description: z.string().optional() });
export const updatePrivateImageParams = z.object({ id: idSchema, description: z.string() });
export const securityGroupParams = z.object({ id: idSchema, securityGroupId: idSchema });
export const listVmsParams = z.object({ networkId: z.string().min(1).optional() });
export const connectVmParams = z.object({ id: idSchema, connectionId: z.string().min(1).optional() });
export const resizeVmDiskParams = z.object({ id: idSchema, diskId: idSchema, sizeGib: z.number().int().positive() });
export const resizeVmParams = z
  .object({ id: idSchema, vcpus: z.number().int().positive().optional(), memoryGib: z.number().int().positive().optional() })
  .refine((p) => p.vcpus !== undefined || p.memoryGib !== undefined, { message: 'vcpus or memoryGib is required', path: ['vcpus'] });
export const updateVmMetadataParams = z.object({ id: idSchema, metadata: z.record(z.string().min(1), z.string()), merge: z.boolean().default(false) });
export const listDataCentersParams = z.object({ regionId: z.array(z.string().min(1)).optional(), renewableEnergy: z.boolean().optional() });
