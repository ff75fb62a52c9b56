// CUDO Compute sandbox: an in-memory grpc-gateway look-alike serving every documented endpoint (endpoints.ts),
// faithful to provider-notes/cudo.md: bearer auth (401 code 16), success always 200 with JSON (`{}` when empty),
// protojson output (int64 as strings, Decimal `{value}`, enum names, `VM`/`VMs` vs `vm` envelopes, `datacenterId`)
// with a switch for zero-value emission, client-chosen vmId (regex, 409 code 6 on a duplicate), time-driven VM
// states with paired shortStates, wrong-state actions refused with 400 code 9, catalogue capacity that drops as
// VMs are created (400 code 3 "no hosts available"), a data center without IPv4s whose VMs go FAILED, private
// images that move LOCKED -> READY, and helpers for the quirks (create that turns FAILED, create that answers a
// non-JSON proxy 504 after creating). State is derived lazily from timestamps at the clock's speed.
import { randomBytes } from 'node:crypto';
import { endpointLabel, type EndpointDef } from '../../providers/http/endpoint';
import { cudoEndpoints, type CudoActivityName } from '../../providers/cudo/endpoints';
import { COMMITMENT_TERMS, SSH_KEY_SOURCES, STORAGE_CLASSES } from '../../providers/cudo/schemas';
import { CUDO_VM_ID_PATTERN } from '../../contract/rules/cudo';
import { SandboxClock, phaseAt, type Phase } from '../http/clock';
import { SandboxServer, type SandboxRequest, type SandboxResponse } from '../http/server';
import { defaultCatalog, type SimCatalog, type SimDataCenter, type SimMachineType, type SimSecurityGroup } from './catalog';
import { dec, fromUnits, gatewayError, NO_HOSTS_MESSAGE, protojson, toUnits } from './protojson';

export { NO_HOSTS_MESSAGE, gatewayError } from './protojson';

export const CUDO_SANDBOX_API_KEY = 'sandbox-cudo-key';
export const CUDO_SANDBOX_PROJECT_ID = 'sandbox-project';

/** Simulated durations (ms) of each phase; multiplied out by the clock's speed. */
export interface CudoSandboxTimings {
  pendingMs: number;
  cloningMs: number;
  prologMs: number;
  bootMs: number;
  stopMs: number;
  startMs: number;
  rebootMs: number;
  resizeMs: number;
  diskResizeMs: number;
  hotplugMs: number;
  imageSaveMs: number;
  deletingMs: number;
  /** How long a terminated VM stays readable as DELETED/`done` before answering 404. */
  deletedVisibleMs: number;
}

export const DEFAULT_CUDO_TIMINGS: CudoSandboxTimings = {
  pendingMs: 3_000,
  cloningMs: 6_000,
  prologMs: 6_000,
  bootMs: 10_000,
  stopMs: 8_000,
  startMs: 10_000,
  rebootMs: 6_000,
  resizeMs: 5_000,
  diskResizeMs: 5_000,
  hotplugMs: 3_000,
  imageSaveMs: 15_000,
  deletingMs: 6_000,
  deletedVisibleMs: 60_000,
};

export interface CudoSandboxOptions {
  clock?: SandboxClock;
  apiKey?: string;
  projectId?: string;
  /** grpc-gateway v2's default: emit "", 0, false, [] and null for unset fields (true). False = compact protojson. */
  emitUnpopulated?: boolean;
  timings?: Partial<CudoSandboxTimings>;
  /** Timings of one VM's create, over `timings` (benchmarks: boot times per machine type). */
  createTimingsFor?: (vm: { id: string; machineType: string; vcpus: number }) => Partial<CudoSandboxTimings> | undefined;
}

type VmPhase = `${string}:${string}`;

interface SimDisk {
  id: string;
  dataCenterId: string;
  vmId: string;
  sizeGib: number;
  storageClass: string;
  diskType: 'DISK_TYPE_BOOT' | 'DISK_TYPE_STORAGE';
  publicImageId: string;
  privateImageId: string;
  createTime: string;
}

interface SimNic {
  networkId: string;
  externalIpAddress: string;
  internalIpAddress: string;
  networkAddress: string;
  securityGroupIds: string[];
}

interface SimVm {
  id: string;
  dc: SimDataCenter;
  mt: SimMachineType;
  vcpus: number;
  memoryGib: number;
  gpus: number;
  publicImageId: string;
  privateImageId: string;
  imageName: string;
  bootDisk: SimDisk;
  storageDisks: SimDisk[];
  metadata: Record<string, string>;
  securityGroupIds: string[];
  nics: SimNic[];
  externalIp: string;
  internalIp: string;
  sshKeySource: string;
  authorizedSshKeys: string;
  createTime: string;
  expireTime: string | null;
  phases: Array<Phase<VmPhase>>;
  phaseStart: number;
  createdAt: number;
  resizingDiskId?: string;
  monitorBase: bigint;
  reboots: number;
  holdsIpv4: boolean;
}

interface SimImage {
  id: string;
  vmId: string;
  dataCenterId: string;
  description: string;
  sizeGib: number;
  platform: string;
  createdAt: number;
}

/** What a test can see of a VM. */
export interface CudoSandboxVmView {
  id: string;
  state: string;
  shortState: string;
  dataCenterId: string;
  machineType: string;
  vcpus: number;
  memoryGib: number;
  gpus: number;
  bootDiskSizeGib: number;
  metadata: Record<string, string>;
  securityGroupIds: string[];
  networkIds: string[];
  publicIpAddress: string;
  reboots: number;
}

const STABLE = new Set(['ACTIVE', 'STOPPED', 'FAILED', 'SUSPENDED', 'UNKNOWN']);
const EMPTY: SandboxResponse = { status: 200, json: {} };
const HTML_504 =
  '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

function ok(json: unknown): SandboxResponse {
  return { status: 200, json };
}

function splitPhase(p: VmPhase): { state: string; shortState: string } {
  const i = p.indexOf(':');
  return { state: p.slice(0, i), shortState: p.slice(i + 1) };
}

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** protojson accepts proto field names (snake_case) on input; map keys (metadata) are data and stay as they are. */
function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const ck = camel(k);
    out[ck] = ck === 'metadata' ? v : camelize(v);
  }
  return out;
}

class BadRequest extends Error {
  constructor(readonly response: SandboxResponse) {
    super('bad request');
  }
}

function invalid(message: string): never {
  throw new BadRequest(gatewayError('INVALID_ARGUMENT', message));
}

/** A proto int field: number or numeric string, like protojson. */
function intField(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return invalid(`proto: (line 1:1): invalid value for int32 field ${name}: ${JSON.stringify(v)}`);
}

function strField(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  return invalid(`proto: (line 1:1): invalid value for string field ${name}: ${JSON.stringify(v)}`);
}

function enumField<N extends readonly string[]>(v: unknown, names: N, name: string): N[number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && names[v] !== undefined) return names[v];
  if (typeof v === 'string' && (names as readonly string[]).includes(v)) return v;
  return invalid(`proto: (line 1:1): invalid value for enum field ${name}: ${JSON.stringify(v)}`);
}

/** A query parameter as grpc-gateway parses it. */
function queryInt(req: SandboxRequest, name: string): number | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) invalid(`type mismatch, parameter: ${name}, error: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function queryBool(req: SandboxRequest, name: string): boolean | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return invalid(`type mismatch, parameter: ${name}, error: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

export function createCudoSandbox(opts: CudoSandboxOptions = {}) {
  const clock = opts.clock ?? new SandboxClock();
  const apiKey = opts.apiKey ?? CUDO_SANDBOX_API_KEY;
  const projectId = opts.projectId ?? CUDO_SANDBOX_PROJECT_ID;
  const timings: CudoSandboxTimings = { ...DEFAULT_CUDO_TIMINGS, ...opts.timings };
  let emitUnpopulated = opts.emitUnpopulated ?? true;
  const catalog: SimCatalog = defaultCatalog();
  type HostMax = Pick<SimMachineType, 'maxVcpuFree' | 'maxMemoryGibFree' | 'maxGpuFree' | 'maxStorageGibFree'>;
  const hostMax = new Map<SimMachineType, HostMax>(
    catalog.machineTypes.map((m) => [m, { maxVcpuFree: m.maxVcpuFree, maxMemoryGibFree: m.maxMemoryGibFree, maxGpuFree: m.maxGpuFree, maxStorageGibFree: m.maxStorageGibFree }]),
  );
  const vms = new Map<string, SimVm>();
  const images = new Map<string, SimImage>();
  const looseDisks = new Map<string, SimDisk>(); // storage disks not attached to a VM
  let failNext = 0;
  let proxy504Next = 0;
  let ipCounter = 10;

  const server = new SandboxServer({
    name: 'cudo',
    clock,
    authenticate,
    notFound,
    admin: {
      'fail-next-create': (req) => {
        const n = Number((req.body as { count?: unknown } | undefined)?.count ?? 1);
        failNextCreate(n);
        return ok({ failNextCreate: failNext });
      },
      'proxy-504-next-create': (req) => {
        const n = Number((req.body as { count?: unknown } | undefined)?.count ?? 1);
        proxyTimeoutNextCreate(n);
        return ok({ proxy504NextCreate: proxy504Next });
      },
      'emit-unpopulated': (req) => {
        const emit = (req.body as { emit?: unknown } | undefined)?.emit;
        if (typeof emit !== 'boolean') return { status: 400, json: { error: 'body must be {"emit": true|false}' } };
        emitUnpopulated = emit;
        return ok({ emitUnpopulated });
      },
      capacity: (req) => {
        const b = (req.body ?? {}) as Partial<SimMachineType>;
        try {
          setCapacity(String(b.dataCenterId), String(b.machineType), b);
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
        return ok({ machineType: catalog.machineTypes.find((m) => m.dataCenterId === b.dataCenterId && m.machineType === b.machineType) });
      },
      ipv4: (req) => {
        const b = (req.body ?? {}) as { dataCenterId?: string; free?: number };
        try {
          setIpv4Free(String(b.dataCenterId), Number(b.free));
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
        return ok({ dataCenterId: b.dataCenterId, ipv4Free: b.free });
      },
      vms: () => ok({ vms: listViews() }),
    },
  });

  // --- auth and routing ---------------------------------------------------------------------------------------

  function authenticate(req: SandboxRequest): SandboxResponse | undefined {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return gatewayError('UNAUTHENTICATED', 'missing or malformed authorization header: expected "bearer <api key>"');
    if (m[1] !== apiKey) return gatewayError('UNAUTHENTICATED', 'invalid API key');
    const project = req.params.projectId;
    if (project !== undefined && project !== projectId) return gatewayError('PERMISSION_DENIED', `permission denied on project ${project}`);
    return undefined;
  }

  const patterns = cudoEndpoints.map((e) => ({ e, re: new RegExp(`^${e.path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  function notFound(req: SandboxRequest): SandboxResponse {
    // grpc-gateway v2's routing errors: 405 for a known path with another method, else 404.
    if (patterns.some((p) => p.re.test(req.path))) return { status: 405, json: { code: 12, message: 'Method Not Allowed', details: [] } };
    return { status: 404, json: { code: 5, message: 'Not Found', details: [] } };
  }

  function out(json: unknown): SandboxResponse {
    return ok(protojson(json, emitUnpopulated));
  }

  function route(activity: CudoActivityName, handler: (req: SandboxRequest) => SandboxResponse): void {
    const endpoint = cudoEndpoints.find((e) => e.activity === activity) as EndpointDef;
    server.route(endpoint, (req) => {
      reap();
      try {
        return handler(req);
      } catch (err) {
        if (err instanceof BadRequest) return err.response;
        throw err;
      }
    });
  }

  // --- VM state machine ---------------------------------------------------------------------------------------

  function current(vm: SimVm): { state: string; shortState: string } {
    return splitPhase(phaseAt(vm.phases, clock.elapsedSince(vm.phaseStart)));
  }

  function transition(vm: SimVm, phases: Array<Phase<VmPhase>>): void {
    vm.phases = phases;
    vm.phaseStart = clock.now();
  }

  /** A temporary state, then back to the stable state the VM was in. */
  function through(vm: SimVm, phase: VmPhase, ms: number): void {
    const prior = current(vm);
    transition(vm, [{ state: phase, ms }, { state: `${prior.state}:${prior.shortState}` }]);
  }

  function reap(): void {
    for (const vm of [...vms.values()]) if (current(vm).state === 'GONE') release(vm);
  }

  function release(vm: SimVm): void {
    vms.delete(vm.id);
    const mt = vm.mt;
    mt.totalVcpuFree += vm.vcpus;
    mt.totalMemoryGibFree += vm.memoryGib;
    mt.totalGpuFree += vm.gpus;
    mt.totalStorageGibFree += vm.bootDisk.sizeGib;
    if (vm.holdsIpv4) vm.dc.ipv4Free += 1;
    for (const d of vm.storageDisks) looseDisks.set(d.id, { ...d, vmId: '' });
    syncMax(mt);
  }

  /** Per-host maxima follow what is left: min(the host size, the data center's total). */
  function syncMax(mt: SimMachineType): void {
    const host = hostMax.get(mt)!;
    mt.maxVcpuFree = Math.max(0, Math.min(host.maxVcpuFree, mt.totalVcpuFree));
    mt.maxMemoryGibFree = Math.max(0, Math.min(host.maxMemoryGibFree, mt.totalMemoryGibFree));
    mt.maxGpuFree = Math.max(0, Math.min(host.maxGpuFree, mt.totalGpuFree));
    mt.maxStorageGibFree = Math.max(0, Math.min(host.maxStorageGibFree, mt.totalStorageGibFree));
  }

  function createPhases(fail: boolean, vm: { id: string; machineType: string; vcpus: number }): Array<Phase<VmPhase>> {
    const t = { ...timings, ...opts.createTimingsFor?.(vm) };
    if (fail) return [{ state: 'PENDING:pend', ms: t.pendingMs }, { state: 'CLONING:clon', ms: t.cloningMs }, { state: 'FAILED:fail' }];
    return [
      { state: 'PENDING:pend', ms: t.pendingMs },
      { state: 'CLONING:clon', ms: t.cloningMs },
      { state: 'CLONING:prol', ms: t.prologMs },
      { state: 'STARTING:boot', ms: t.bootMs },
      { state: 'ACTIVE:runn' },
    ];
  }

  function findVm(id: string): SimVm {
    const vm = vms.get(id);
    if (!vm) throw new BadRequest(gatewayError('NOT_FOUND', `vm ${id} not found`));
    return vm;
  }

  function requireState(vm: SimVm, allowed: string[], action: string): { state: string; shortState: string } {
    const now = current(vm);
    if (!allowed.includes(now.state)) {
      throw new BadRequest(gatewayError('FAILED_PRECONDITION', `cannot ${action} vm ${vm.id} in state ${now.state}; allowed in ${allowed.join(', ')}`));
    }
    return now;
  }

  function nextPublicIp(): string {
    ipCounter += 1;
    return `203.0.113.${(ipCounter % 250) + 2}`; // TEST-NET-3 documentation range
  }

  function nextInternalIp(): string {
    ipCounter += 1;
    return `10.0.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 2}`;
  }

  // --- JSON shapes ----------------------------------------------------------------------------------------------

  function diskState(vm: SimVm, disk: SimDisk): string {
    const { state } = current(vm);
    if (state === 'PENDING') return 'DISK_STATE_INIT';
    if (state === 'CLONING') return disk.diskType === 'DISK_TYPE_BOOT' ? 'DISK_STATE_CLONE' : 'DISK_STATE_USED';
    if (state === 'DELETING' || state === 'DELETED') return 'DISK_STATE_DELETE';
    if (state === 'FAILED') return disk.diskType === 'DISK_TYPE_BOOT' ? 'DISK_STATE_ERROR' : 'DISK_STATE_USED';
    if (state === 'RESIZING_DISK' && vm.resizingDiskId === disk.id) return 'DISK_STATE_LOCKED';
    return 'DISK_STATE_USED';
  }

  function diskJson(vm: SimVm | undefined, disk: SimDisk) {
    return {
      id: disk.id,
      projectId,
      dataCenterId: disk.dataCenterId,
      vmId: disk.vmId,
      sizeGib: disk.sizeGib,
      storageClass: disk.storageClass,
      diskType: disk.diskType,
      publicImageId: disk.publicImageId,
      privateImageId: disk.privateImageId,
      createTime: disk.createTime,
      diskState: vm ? diskState(vm, disk) : 'DISK_STATE_READY',
    };
  }

  function securityGroups(vm: SimVm): SimSecurityGroup[] {
    const ids = new Set([...vm.securityGroupIds, ...vm.nics.flatMap((n) => n.securityGroupIds)]);
    return catalog.securityGroups.filter((g) => ids.has(g.id));
  }

  function price(vm: SimVm) {
    const storagePrice = vm.dc.diskPricing.find((p) => p.storageClass === 'STORAGE_CLASS_NETWORK')?.diskGibPriceHr ?? vm.mt.minStorageGibPriceHr;
    const storageGib = vm.bootDisk.sizeGib + vm.storageDisks.reduce((a, d) => a + d.sizeGib, 0);
    const u = {
      vcpu: toUnits(vm.mt.vcpuPriceHr),
      mem: toUnits(vm.mt.memoryGibPriceHr),
      gpu: toUnits(vm.mt.gpuPriceHr),
      storage: toUnits(storagePrice),
      ipv4: vm.externalIp ? toUnits(vm.dc.ipv4PriceHr) : 0n,
    };
    const totals = {
      vcpu: u.vcpu * BigInt(vm.vcpus),
      mem: u.mem * BigInt(vm.memoryGib),
      gpu: u.gpu * BigInt(vm.gpus),
      storage: u.storage * BigInt(storageGib),
    };
    const total = totals.vcpu + totals.mem + totals.gpu + totals.storage + u.ipv4;
    return {
      vcpuPriceHr: { value: fromUnits(u.vcpu) },
      totalVcpuPriceHr: { value: fromUnits(totals.vcpu) },
      memoryGibPriceHr: { value: fromUnits(u.mem) },
      totalMemoryPriceHr: { value: fromUnits(totals.mem) },
      gpuPriceHr: { value: fromUnits(u.gpu) },
      totalGpuPriceHr: { value: fromUnits(totals.gpu) },
      storageGibPriceHr: { value: fromUnits(u.storage) },
      totalStoragePriceHr: { value: fromUnits(totals.storage) },
      ipv4AddressPriceHr: { value: fromUnits(u.ipv4) },
      totalPriceHr: { value: fromUnits(total) },
    };
  }

  function vmJson(vm: SimVm) {
    const { state, shortState } = current(vm);
    const groups = securityGroups(vm);
    return {
      datacenterId: vm.dc.id,
      machineType: vm.mt.machineType,
      regionId: vm.dc.regionId,
      regionName: vm.dc.regionId,
      id: vm.id,
      externalIpAddress: vm.externalIp,
      internalIpAddress: vm.internalIp,
      publicIpAddress: vm.externalIp,
      memory: vm.memoryGib,
      cpuModel: vm.mt.cpuModel,
      vcpus: vm.vcpus,
      gpuModel: vm.gpus > 0 ? vm.mt.gpuModel : '',
      gpuModelId: vm.gpus > 0 ? vm.mt.gpuModelId : '',
      gpuQuantity: vm.gpus,
      bootDiskSizeGib: vm.bootDisk.sizeGib,
      renewableEnergy: vm.dc.renewableEnergy,
      imageId: vm.publicImageId || vm.privateImageId,
      publicImageId: vm.publicImageId,
      publicImageName: vm.publicImageId ? vm.imageName : '',
      privateImageId: vm.privateImageId,
      imageName: vm.imageName,
      createBy: 'sandbox-user@example.com',
      nics: vm.nics.map((n) => ({ ...n, securityGroupIds: [...n.securityGroupIds] })),
      rules: groups.flatMap((g) => g.rules),
      securityGroupIds: [...vm.securityGroupIds],
      shortState,
      bootDisk: diskJson(vm, vm.bootDisk),
      storageDisks: vm.storageDisks.map((d) => diskJson(vm, d)),
      metadata: { ...vm.metadata },
      state,
      createTime: vm.createTime,
      expireTime: vm.expireTime,
      price: price(vm),
      commitmentTerm: 'COMMITMENT_TERM_NONE',
      commitmentEndTime: null,
      sshKeySource: vm.sshKeySource,
      authorizedSshKeys: vm.authorizedSshKeys,
      securityGroups: groups.map((g) => ({ projectId, dataCenterId: g.dataCenterId || vm.dc.id, id: g.id, description: g.description, rules: g.rules })),
    };
  }

  function imageState(img: SimImage): string {
    return phaseAt([{ state: 'LOCKED', ms: timings.imageSaveMs }, { state: 'READY' }], clock.elapsedSince(img.createdAt));
  }

  function imageJson(img: SimImage) {
    return { projectId, id: img.id, dataCenterId: img.dataCenterId, description: img.description, sizeGib: img.sizeGib, platform: img.platform, state: imageState(img) };
  }

  function view(vm: SimVm): CudoSandboxVmView {
    const { state, shortState } = current(vm);
    return {
      id: vm.id,
      state,
      shortState,
      dataCenterId: vm.dc.id,
      machineType: vm.mt.machineType,
      vcpus: vm.vcpus,
      memoryGib: vm.memoryGib,
      gpus: vm.gpus,
      bootDiskSizeGib: vm.bootDisk.sizeGib,
      metadata: { ...vm.metadata },
      securityGroupIds: [...vm.securityGroupIds],
      networkIds: vm.nics.map((n) => n.networkId),
      publicIpAddress: vm.externalIp,
      reboots: vm.reboots,
    };
  }

  function listViews(): CudoSandboxVmView[] {
    reap();
    return [...vms.values()].map(view);
  }

  // --- create VM ------------------------------------------------------------------------------------------------

  function createVm(req: SandboxRequest): SandboxResponse {
    if (typeof req.body === 'string') invalid(`proto: syntax error (line 1:1): unexpected token ${JSON.stringify(req.body.slice(0, 20))}`);
    if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) invalid('proto: syntax error (line 1:1): the body must be a JSON object');
    const b = camelize(req.body ?? {}) as Record<string, unknown>;
    const vmId = strField(b.vmId, 'vmId') ?? '';
    const dataCenterId = strField(b.dataCenterId, 'dataCenterId') ?? '';
    const machineType = strField(b.machineType, 'machineType') ?? '';
    const bootDiskImageId = strField(b.bootDiskImageId, 'bootDiskImageId') ?? '';
    const vcpus = intField(b.vcpus, 'vcpus') ?? 0;
    const memoryGib = intField(b.memoryGib, 'memoryGib') ?? 0;
    const gpus = intField(b.gpus, 'gpus') ?? 0;
    const password = strField(b.password, 'password');
    const sshKeySource = enumField(b.sshKeySource, SSH_KEY_SOURCES, 'sshKeySource') ?? 'SSH_KEY_SOURCE_UNKNOWN';
    enumField(b.commitmentTerm, COMMITMENT_TERMS, 'commitmentTerm');
    const customSshKeys = Array.isArray(b.customSshKeys) ? b.customSshKeys.map((k, i) => strField(k, `customSshKeys[${i}]`) ?? '') : [];
    const bootDiskIn = (b.bootDisk && typeof b.bootDisk === 'object' ? b.bootDisk : {}) as Record<string, unknown>;
    const metadataIn = b.metadata && typeof b.metadata === 'object' ? (b.metadata as Record<string, unknown>) : {};

    // protoc-gen-validate style checks first
    for (const [name, value] of [
      ['DataCenterId', dataCenterId],
      ['MachineType', machineType],
      ['VmId', vmId],
      ['BootDiskImageId', bootDiskImageId],
    ] as const) {
      if (!value) invalid(`invalid CreateVMRequest.${name}: value length must be at least 1 runes`);
    }
    if (!CUDO_VM_ID_PATTERN.test(vmId)) invalid('invalid CreateVMRequest.VmId: value does not match regex pattern "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"');
    if (vcpus < 1) invalid('invalid CreateVMRequest.Vcpus: value must be greater than or equal to 1');
    if (memoryGib < 1) invalid('invalid CreateVMRequest.MemoryGib: value must be greater than or equal to 1');
    if (gpus < 0) invalid('invalid CreateVMRequest.Gpus: value must be greater than or equal to 0');
    if (password !== undefined && password !== '' && (password.length < 6 || password.length > 64)) invalid('invalid CreateVMRequest.Password: value length must be between 6 and 64 runes, inclusive');
    for (const [k, v] of Object.entries(metadataIn)) if (typeof v !== 'string') invalid(`proto: (line 1:1): invalid value for string field metadata[${JSON.stringify(k)}]`);
    const metadata = metadataIn as Record<string, string>;

    // the catalogue
    const dc = catalog.dataCenters.find((d) => d.id === dataCenterId);
    if (!dc) invalid(`data center ${dataCenterId} does not exist`);
    const mt = catalog.machineTypes.find((m) => m.dataCenterId === dc.id && m.machineType === machineType);
    if (!mt) invalid(`machine type ${machineType} is not available in data center ${dc.id}`);
    const pub = catalog.publicImages.find((i) => i.id === bootDiskImageId);
    const priv = pub ? undefined : images.get(bootDiskImageId);
    if (!pub && !priv) invalid(`image ${bootDiskImageId} not found`);
    if (priv && imageState(priv) !== 'READY') throw new BadRequest(gatewayError('FAILED_PRECONDITION', `image ${priv.id} is not ready`));
    if (vcpus < mt.minVcpu) invalid(`machine type ${mt.machineType} needs at least ${mt.minVcpu} vCPUs`);
    if (memoryGib < mt.minMemoryGib) invalid(`machine type ${mt.machineType} needs at least ${mt.minMemoryGib} GiB of memory`);
    const ratio = vcpus / memoryGib;
    if (ratio < mt.minVcpuPerMemoryGib || ratio > mt.maxVcpuPerMemoryGib) {
      invalid(`vCPU to memory ratio ${ratio.toFixed(3)} is outside ${mt.minVcpuPerMemoryGib}..${mt.maxVcpuPerMemoryGib} for machine type ${mt.machineType}`);
    }
    if (gpus > 0 && !mt.gpuModelId) invalid(`machine type ${mt.machineType} has no GPUs`);
    if (gpus > 0 && (vcpus / gpus < mt.minVcpuPerGpu || vcpus / gpus > mt.maxVcpuPerGpu)) invalid(`vCPUs per GPU must be within ${mt.minVcpuPerGpu}..${mt.maxVcpuPerGpu}`);
    const imageSize = pub?.sizeGib ?? priv!.sizeGib;
    const bootSize = intField(bootDiskIn.sizeGib, 'bootDisk.sizeGib') ?? Math.max(10, imageSize);
    if (bootSize < imageSize) invalid(`boot disk size ${bootSize} GiB is smaller than image ${bootDiskImageId} (${imageSize} GiB)`);
    const storageClass = enumField(bootDiskIn.storageClass, STORAGE_CLASSES, 'bootDisk.storageClass') ?? 'STORAGE_CLASS_NETWORK';
    const bootDiskId = strField(bootDiskIn.id, 'bootDisk.id');

    // networking and security groups
    const nicsIn = Array.isArray(b.nics) ? (b.nics as Array<Record<string, unknown>>) : [];
    const topSgs = Array.isArray(b.securityGroupIds) ? b.securityGroupIds.map((s, i) => strField(s, `securityGroupIds[${i}]`) ?? '') : [];
    const nicSgs = nicsIn.map((n, i) => (Array.isArray(n.securityGroupIds) ? n.securityGroupIds.map((s, j) => strField(s, `nics[${i}].securityGroupIds[${j}]`) ?? '') : []));
    for (const sg of [...topSgs, ...nicSgs.flat()]) {
      if (!catalog.securityGroups.some((g) => g.id === sg && (!g.dataCenterId || g.dataCenterId === dc.id))) throw new BadRequest(gatewayError('NOT_FOUND', `security group ${sg} not found`));
    }
    const wantsPublicIp = nicsIn.length === 0 || nicsIn.some((n) => n.assignPublicIp !== false);

    // storage disks
    const storageIds = Array.isArray(b.storageDiskIds) ? b.storageDiskIds.map((s, i) => strField(s, `storageDiskIds[${i}]`) ?? '') : [];
    const storage = storageIds.map((id) => {
      const d = looseDisks.get(id);
      if (!d) {
        if ([...vms.values()].some((v) => v.storageDisks.some((x) => x.id === id))) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `disk ${id} is attached to another vm`));
        throw new BadRequest(gatewayError('NOT_FOUND', `disk ${id} not found`));
      }
      if (d.dataCenterId !== dc.id) invalid(`disk ${id} is in data center ${d.dataCenterId}, not ${dc.id}`);
      return d;
    });

    // uniqueness: vmId, then an explicit boot disk id (disk ids share the project namespace)
    if (vms.has(vmId)) throw new BadRequest(gatewayError('ALREADY_EXISTS', 'A VM with that id already exists'));
    if (bootDiskId && (looseDisks.has(bootDiskId) || [...vms.values()].some((v) => v.bootDisk.id === bootDiskId || v.storageDisks.some((d) => d.id === bootDiskId)))) {
      throw new BadRequest(gatewayError('ALREADY_EXISTS', 'A disk with that id already exists'));
    }

    // capacity: the largest VM a host can still take
    if (vcpus > mt.maxVcpuFree || memoryGib > mt.maxMemoryGibFree || gpus > mt.maxGpuFree || bootSize > mt.maxStorageGibFree) invalid(NO_HOSTS_MESSAGE);

    const now = clock.now();
    const fail = !b.validateOnly && (failNext > 0 || (wantsPublicIp && dc.ipv4Free <= 0));
    const externalIp = wantsPublicIp && dc.ipv4Free > 0 ? nextPublicIp() : '';
    const internalIp = nextInternalIp();
    const createTime = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ttl = strField(b.ttl, 'ttl');
    const expireIn = strField(b.expireTime, 'expireTime');
    let expireTime: string | null = null;
    if (expireIn) {
      if (Number.isNaN(Date.parse(expireIn))) invalid(`proto: (line 1:1): invalid value for Timestamp field expireTime: ${JSON.stringify(expireIn)}`);
      expireTime = new Date(expireIn).toISOString();
    } else if (ttl) {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(ttl);
      if (!m) invalid(`proto: (line 1:1): invalid value for Duration field ttl: ${JSON.stringify(ttl)}`);
      expireTime = new Date(now + Number(m[1]) * 1000).toISOString();
    }
    const vm: SimVm = {
      id: vmId,
      dc,
      mt,
      vcpus,
      memoryGib,
      gpus,
      publicImageId: pub?.id ?? '',
      privateImageId: priv?.id ?? '',
      imageName: pub?.displayName ?? priv?.description ?? '',
      bootDisk: {
        id: bootDiskId || `${vmId}-boot`,
        dataCenterId: dc.id,
        vmId,
        sizeGib: bootSize,
        storageClass,
        diskType: 'DISK_TYPE_BOOT',
        publicImageId: pub?.id ?? '',
        privateImageId: priv?.id ?? '',
        createTime,
      },
      storageDisks: storage.map((d) => ({ ...d, vmId })),
      metadata: { ...metadata },
      securityGroupIds: nicsIn.length ? [] : topSgs,
      nics: nicsIn.map((n, i) => ({
        networkId: strField(n.networkId, `nics[${i}].networkId`) ?? '',
        externalIpAddress: n.assignPublicIp !== false ? externalIp : '',
        internalIpAddress: internalIp,
        networkAddress: `${internalIp.split('.').slice(0, 3).join('.')}.0/24`,
        securityGroupIds: nicSgs[i] ?? [],
      })),
      externalIp,
      internalIp,
      sshKeySource,
      authorizedSshKeys: customSshKeys.join('\n'),
      createTime,
      expireTime,
      phases: createPhases(fail, { id: vmId, machineType, vcpus }),
      phaseStart: now,
      createdAt: now,
      monitorBase: 0n,
      reboots: 0,
      holdsIpv4: externalIp !== '',
    };
    if (b.validateOnly === true) return out({ id: vmId, vm: vmJson(vm) });

    if (failNext > 0) failNext -= 1;
    vms.set(vmId, vm);
    for (const d of storage) looseDisks.delete(d.id);
    mt.totalVcpuFree -= vcpus;
    mt.totalMemoryGibFree -= memoryGib;
    mt.totalGpuFree -= gpus;
    mt.totalStorageGibFree -= bootSize;
    syncMax(mt);
    if (vm.holdsIpv4) dc.ipv4Free -= 1;

    if (proxy504Next > 0) {
      // The VM exists, but the proxy in front of the API gave up first (terraform-provider-cudo commit 8f1d433).
      proxy504Next -= 1;
      return { status: 504, text: HTML_504, headers: { 'content-type': 'text/html' } };
    }
    return out({ id: vmId, vm: vmJson(vm) });
  }

  // --- routes ---------------------------------------------------------------------------------------------------

  route('cudoCountVms', () => out({ count: vms.size }));

  route('cudoListPrivateImages', (req) => {
    const pageNumber = Math.max(1, queryInt(req, 'pageNumber') ?? 1);
    const requested = queryInt(req, 'pageSize') ?? 0;
    if (requested < 0) invalid('invalid ListPrivateVMImagesRequest.PageSize: value must be greater than or equal to 0');
    const pageSize = requested === 0 ? 10 : Math.min(requested, 100);
    const all = [...images.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return out({ images: page.map(imageJson), totalCount: all.length, pageNumber, pageSize });
  });

  route('cudoCreatePrivateImage', (req) => {
    const vmId = req.query.get('vmId') ?? '';
    const id = req.query.get('id') ?? '';
    if (!vmId) invalid('invalid CreatePrivateVMImageRequest.VmId: value length must be at least 1 runes');
    if (!id) invalid('invalid CreatePrivateVMImageRequest.Id: value length must be at least 1 runes');
    if (!CUDO_VM_ID_PATTERN.test(id)) invalid('invalid CreatePrivateVMImageRequest.Id: value does not match regex pattern "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"');
    const vm = findVm(vmId);
    if (images.has(id) || catalog.publicImages.some((i) => i.id === id)) throw new BadRequest(gatewayError('ALREADY_EXISTS', 'An image with that id already exists'));
    requireState(vm, ['ACTIVE', 'STOPPED'], 'create an image from');
    const img: SimImage = {
      id,
      vmId,
      dataCenterId: vm.dc.id,
      description: req.query.get('description') ?? '',
      sizeGib: vm.bootDisk.sizeGib,
      platform: catalog.publicImages.find((i) => i.id === vm.publicImageId)?.platform ?? 'linux',
      createdAt: clock.now(),
    };
    images.set(id, img);
    through(vm, 'HOTPLUGGING:hotp', timings.imageSaveMs); // the disk is saved while the VM is locked
    return out({ image: imageJson(img) });
  });

  function findImage(id: string): SimImage {
    const img = images.get(id);
    if (!img) throw new BadRequest(gatewayError('NOT_FOUND', `image ${id} not found`));
    return img;
  }

  route('cudoGetPrivateImage', (req) => out({ image: imageJson(findImage(req.params.id!)) }));

  route('cudoDeletePrivateImage', (req) => {
    const img = findImage(req.params.id!);
    if (imageState(img) !== 'READY') throw new BadRequest(gatewayError('FAILED_PRECONDITION', `image ${img.id} is ${imageState(img)}; wait until it is READY`));
    images.delete(img.id);
    return EMPTY;
  });

  route('cudoUpdatePrivateImage', (req) => {
    const img = findImage(req.params.id!);
    img.description = req.query.get('description') ?? '';
    return EMPTY;
  });

  route('cudoCreateVm', createVm);

  route('cudoUpdateVmMetadata', (req) => {
    const vm = findVm(req.params.id!);
    if (typeof req.body === 'string') invalid('proto: syntax error (line 1:1): invalid JSON body');
    const b = camelize(req.body ?? {}) as { metadata?: unknown; merge?: unknown };
    const md = b.metadata ?? {};
    if (typeof md !== 'object' || md === null || Array.isArray(md)) invalid('proto: (line 1:1): invalid value for map field metadata');
    for (const [k, v] of Object.entries(md)) if (typeof v !== 'string') invalid(`proto: (line 1:1): invalid value for string field metadata[${JSON.stringify(k)}]`);
    requireState(vm, ['PENDING', 'CLONING', 'STARTING', 'ACTIVE', 'STOPPING', 'STOPPED', 'FAILED', 'HOTPLUGGING', 'RESIZING', 'RESIZING_DISK', 'SUSPENDED', 'UNKNOWN'], 'update metadata of');
    vm.metadata = b.merge === true ? { ...vm.metadata, ...(md as Record<string, string>) } : { ...(md as Record<string, string>) };
    return out({ metadata: { ...vm.metadata } });
  });

  function securityGroupChange(req: SandboxRequest, attach: boolean): SandboxResponse {
    const vm = findVm(req.params.id!);
    const sgId = req.query.get('securityGroupId') ?? '';
    if (!sgId) invalid('invalid SecurityGroupRequest.SecurityGroupId: value length must be at least 1 runes');
    const sg = catalog.securityGroups.find((g) => g.id === sgId && (!g.dataCenterId || g.dataCenterId === vm.dc.id));
    if (!sg) throw new BadRequest(gatewayError('NOT_FOUND', `security group ${sgId} not found`));
    requireState(vm, ['ACTIVE', 'STOPPED'], attach ? 'attach a security group to' : 'detach a security group from');
    const lists = vm.nics.length ? vm.nics.map((n) => n.securityGroupIds) : [vm.securityGroupIds];
    const has = lists.some((l) => l.includes(sgId));
    if (attach && has) return EMPTY; // already attached: nothing to do
    if (!attach && !has) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `security group ${sgId} is not attached to vm ${vm.id}`));
    for (const l of lists) {
      const i = l.indexOf(sgId);
      if (attach) l.push(sgId);
      else if (i >= 0) l.splice(i, 1);
    }
    through(vm, 'HOTPLUGGING:hotp', timings.hotplugMs);
    return EMPTY;
  }

  route('cudoAttachSecurityGroup', (req) => securityGroupChange(req, true));
  route('cudoDetachSecurityGroup', (req) => securityGroupChange(req, false));

  route('cudoListVms', (req) => {
    const networkId = req.query.get('networkId');
    const list = [...vms.values()].filter((vm) => !networkId || vm.nics.some((n) => n.networkId === networkId));
    return out({ VMs: list.map(vmJson) });
  });

  route('cudoGetVm', (req) => {
    const vm = findVm(req.params.id!);
    const json = vmJson(vm);
    const p = json.price;
    return out({
      VM: json,
      vcpuPriceHr: p.vcpuPriceHr,
      totalVcpuPriceHr: p.totalVcpuPriceHr,
      memoryGibPriceHr: p.memoryGibPriceHr,
      totalMemoryPriceHr: p.totalMemoryPriceHr,
      gpuPriceHr: p.gpuPriceHr,
      totalGpuPriceHr: p.totalGpuPriceHr,
      storageGibPriceHr: p.storageGibPriceHr,
      totalStoragePriceHr: p.totalStoragePriceHr,
      ipv4PriceHr: p.ipv4AddressPriceHr,
      totalPriceHr: p.totalPriceHr,
    });
  });

  route('cudoConnectVm', (req) => {
    const vm = findVm(req.params.id!);
    requireState(vm, ['ACTIVE'], 'connect to');
    const connectionId = req.query.get('connectionId') || randomBytes(8).toString('hex');
    return out({ connectUrl: `wss://vnc.sandbox.invalid/v1/projects/${projectId}/vms/${vm.id}/vnc?connectionId=${connectionId}`, token: randomBytes(24).toString('base64url') });
  });

  route('cudoListVmDisks', (req) => {
    const vm = findVm(req.params.id!);
    return out({ disks: [vm.bootDisk, ...vm.storageDisks].map((d) => diskJson(vm, d)) });
  });

  route('cudoResizeVmDisk', (req) => {
    const vm = findVm(req.params.id!);
    const diskId = req.query.get('diskId') ?? '';
    const sizeGib = queryInt(req, 'sizeGib') ?? 0;
    if (!diskId) invalid('invalid ResizeVMDiskRequest.DiskId: value length must be at least 1 runes');
    const disk = [vm.bootDisk, ...vm.storageDisks].find((d) => d.id === diskId);
    if (!disk) throw new BadRequest(gatewayError('NOT_FOUND', `disk ${diskId} not found on vm ${vm.id}`));
    if (sizeGib <= disk.sizeGib) invalid(`new size ${sizeGib} GiB must be larger than the current ${disk.sizeGib} GiB (disks can only grow)`);
    requireState(vm, ['ACTIVE', 'STOPPED'], 'resize a disk of');
    const extra = sizeGib - disk.sizeGib;
    if (extra > vm.mt.totalStorageGibFree) invalid(NO_HOSTS_MESSAGE);
    vm.mt.totalStorageGibFree -= extra;
    syncMax(vm.mt);
    disk.sizeGib = sizeGib;
    vm.resizingDiskId = disk.id;
    through(vm, 'RESIZING_DISK:drsz', timings.diskResizeMs);
    return EMPTY;
  });

  route('cudoMonitorVm', (req) => {
    const vm = findVm(req.params.id!);
    const bootedAfter = timings.pendingMs + timings.cloningMs + timings.prologMs + timings.bootMs;
    const simSinceCreate = clock.elapsedSince(vm.createdAt);
    const items: unknown[] = [];
    const { state } = current(vm);
    if (state !== 'FAILED' && state !== 'DELETED') {
      const stepMs = 60_000;
      for (let k = 9; k >= 0; k--) {
        const t = simSinceCreate - bootedAfter - k * stepMs;
        if (t < 0) continue;
        const sec = BigInt(Math.floor(t / 1000));
        items.push({
          cpu: Math.round((8 + 6 * Math.abs(Math.sin(t / 90_000))) * 100) / 100,
          diskRdBytes: (vm.monitorBase + sec * 524_288n).toString(),
          diskRdIops: (vm.monitorBase / 4096n + sec * 12n).toString(),
          diskWrBytes: (vm.monitorBase + sec * 262_144n).toString(),
          diskWrIops: (vm.monitorBase / 4096n + sec * 7n).toString(),
          memory: (BigInt(vm.memoryGib) * 1024n * 1024n * 1024n * 35n / 100n).toString(),
          netRx: (vm.monitorBase + sec * 131_072n).toString(),
          netTx: (vm.monitorBase + sec * 65_536n).toString(),
          timestamp: String(Math.floor((clock.now() - clock.real(k * stepMs)) / 1000)),
          guestPing: '1',
        });
      }
    }
    return out({ items });
  });

  route('cudoRebootVm', (req) => {
    const vm = findVm(req.params.id!);
    requireState(vm, ['ACTIVE'], 'reboot');
    vm.reboots += 1;
    // The notes: a reboot may stay ACTIVE throughout; OpenNebula passes through `boot` briefly.
    transition(vm, [{ state: 'ACTIVE:boot', ms: timings.rebootMs }, { state: 'ACTIVE:runn' }]);
    return EMPTY;
  });

  route('cudoStartVm', (req) => {
    const vm = findVm(req.params.id!);
    requireState(vm, ['STOPPED'], 'start');
    transition(vm, [{ state: 'STARTING:boot', ms: timings.startMs }, { state: 'ACTIVE:runn' }]);
    return EMPTY;
  });

  route('cudoStopVm', (req) => {
    const vm = findVm(req.params.id!);
    requireState(vm, ['ACTIVE'], 'stop');
    transition(vm, [{ state: 'STOPPING:shut', ms: timings.stopMs }, { state: 'STOPPED:poff' }]);
    return EMPTY;
  });

  route('cudoTerminateVm', (req) => {
    const vm = findVm(req.params.id!);
    const { state } = current(vm);
    if (state === 'DELETING' || state === 'DELETED') return EMPTY; // already on its way out
    if (!STABLE.has(state)) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `cannot terminate vm ${vm.id} in state ${state}; wait for it to settle`));
    transition(vm, [
      { state: 'DELETING:epil', ms: timings.deletingMs },
      { state: 'DELETED:done', ms: timings.deletedVisibleMs },
      { state: 'GONE:' },
    ]);
    return EMPTY;
  });

  route('cudoResizeVm', (req) => {
    const vm = findVm(req.params.id!);
    const vcpus = queryInt(req, 'vcpus') || vm.vcpus;
    const memoryGib = queryInt(req, 'memoryGib') || vm.memoryGib;
    const mt = vm.mt;
    if (vcpus < mt.minVcpu || memoryGib < mt.minMemoryGib) invalid(`machine type ${mt.machineType} needs at least ${mt.minVcpu} vCPUs and ${mt.minMemoryGib} GiB`);
    const ratio = vcpus / memoryGib;
    if (ratio < mt.minVcpuPerMemoryGib || ratio > mt.maxVcpuPerMemoryGib) invalid(`vCPU to memory ratio ${ratio.toFixed(3)} is outside ${mt.minVcpuPerMemoryGib}..${mt.maxVcpuPerMemoryGib}`);
    requireState(vm, ['ACTIVE', 'STOPPED'], 'resize');
    const dv = vcpus - vm.vcpus;
    const dm = memoryGib - vm.memoryGib;
    if (dv > mt.totalVcpuFree || dm > mt.totalMemoryGibFree) invalid(NO_HOSTS_MESSAGE);
    mt.totalVcpuFree -= dv;
    mt.totalMemoryGibFree -= dm;
    syncMax(mt);
    vm.vcpus = vcpus;
    vm.memoryGib = memoryGib;
    through(vm, 'RESIZING:hotp', timings.resizeMs);
    return out({ vm: vmJson(vm) });
  });

  route('cudoListDataCenters', (req) => {
    const regions = req.query.getAll('regionId').filter(Boolean);
    const renewable = queryBool(req, 'renewableEnergy');
    const list = catalog.dataCenters.filter((d) => (regions.length === 0 || regions.includes(d.regionId)) && (renewable === undefined || !renewable || d.renewableEnergy));
    return out({
      dataCenters: list.map((d) => ({
        id: d.id,
        regionId: d.regionId,
        supplierName: d.supplierName,
        renewableEnergy: d.renewableEnergy,
        diskPoolPricing: d.diskPricing.map((p) => ({ storageClass: p.storageClass, diskGibPriceHr: dec(p.diskGibPriceHr), snapshotGibPriceHr: dec(p.snapshotGibPriceHr) })),
        networkPricing: d.networkPricing.map((p) => ({ size: p.size, priceHr: dec(p.priceHr) })),
        ipv4PriceHr: dec(d.ipv4PriceHr),
        ipv4Free: Math.max(0, d.ipv4Free),
        s3Endpoint: d.s3Endpoint,
      })),
    });
  });

  route('cudoListGpuModels', () => out({ gpuModels: catalog.gpuModels.map((g) => ({ ...g })) }));

  route('cudoListMachineTypes', () =>
    out({
      machineTypes: catalog.machineTypes.map((m) => ({
        dataCenterId: m.dataCenterId,
        machineType: m.machineType,
        cpuModel: m.cpuModel,
        gpuModel: m.gpuModel,
        gpuModelId: m.gpuModelId,
        minVcpuPerMemoryGib: m.minVcpuPerMemoryGib,
        maxVcpuPerMemoryGib: m.maxVcpuPerMemoryGib,
        minVcpuPerGpu: m.minVcpuPerGpu,
        maxVcpuPerGpu: m.maxVcpuPerGpu,
        vcpuPriceHr: dec(m.vcpuPriceHr),
        memoryGibPriceHr: dec(m.memoryGibPriceHr),
        gpuPriceHr: dec(m.gpuPriceHr),
        minStorageGibPriceHr: dec(m.minStorageGibPriceHr),
        ipv4PriceHr: dec(catalog.dataCenters.find((d) => d.id === m.dataCenterId)?.ipv4PriceHr ?? '0'),
        renewableEnergy: m.renewableEnergy,
        maxVcpuFree: Math.max(0, m.maxVcpuFree),
        totalVcpuFree: Math.max(0, m.totalVcpuFree),
        maxMemoryGibFree: Math.max(0, m.maxMemoryGibFree),
        totalMemoryGibFree: Math.max(0, m.totalMemoryGibFree),
        maxGpuFree: Math.max(0, m.maxGpuFree),
        totalGpuFree: Math.max(0, m.totalGpuFree),
        maxStorageGibFree: Math.max(0, m.maxStorageGibFree),
        totalStorageGibFree: Math.max(0, m.totalStorageGibFree),
        minVcpu: m.minVcpu,
        minMemoryGib: m.minMemoryGib,
      })),
    }),
  );

  route('cudoListPublicImages', () => out({ images: catalog.publicImages.map((i) => ({ ...i, installedPackages: i.installedPackages.map((p) => ({ ...p })) })) }));

  // --- helpers for tests and the admin API ----------------------------------------------------------------------

  /** The next `count` creates are accepted (200) and then end in FAILED/`fail` instead of ACTIVE. */
  function failNextCreate(count = 1): void {
    failNext = Math.max(0, Math.floor(count));
  }

  /** The next `count` creates create the VM, then answer a proxy's non-JSON 504 (the generic `after` fault sends JSON). */
  function proxyTimeoutNextCreate(count = 1): void {
    proxy504Next = Math.max(0, Math.floor(count));
  }

  function setCapacity(dataCenterId: string, machineType: string, free: Partial<Pick<SimMachineType, 'maxVcpuFree' | 'totalVcpuFree' | 'maxMemoryGibFree' | 'totalMemoryGibFree' | 'maxGpuFree' | 'totalGpuFree' | 'maxStorageGibFree' | 'totalStorageGibFree'>>): void {
    const mt = catalog.machineTypes.find((m) => m.dataCenterId === dataCenterId && m.machineType === machineType);
    if (!mt) throw new Error(`no machine type ${machineType} in ${dataCenterId}`);
    for (const k of ['maxVcpuFree', 'totalVcpuFree', 'maxMemoryGibFree', 'totalMemoryGibFree', 'maxGpuFree', 'totalGpuFree', 'maxStorageGibFree', 'totalStorageGibFree'] as const) {
      const v = free[k];
      if (typeof v === 'number' && Number.isFinite(v)) {
        mt[k] = Math.max(0, Math.floor(v));
        if (k.startsWith('max')) hostMax.get(mt)![k as keyof HostMax] = mt[k];
      }
    }
    syncMax(mt);
  }

  function setIpv4Free(dataCenterId: string, count: number): void {
    const dc = catalog.dataCenters.find((d) => d.id === dataCenterId);
    if (!dc) throw new Error(`no data center ${dataCenterId}`);
    if (!Number.isFinite(count) || count < 0) throw new Error('free must be a non-negative number');
    dc.ipv4Free = Math.floor(count);
  }

  return {
    server,
    apiKey,
    projectId,
    clock,
    timings,
    /** The catalogue as the sandbox holds it (free capacity included); mutate through the helpers. */
    catalog: catalog as Readonly<SimCatalog>,
    /** One VM as the sandbox sees it right now, or undefined once it answers 404. */
    vm(id: string): CudoSandboxVmView | undefined {
      reap();
      const vm = vms.get(id);
      return vm ? view(vm) : undefined;
    },
    vms: listViews,
    privateImage(id: string): { id: string; state: string; vmId: string } | undefined {
      const img = images.get(id);
      return img ? { id: img.id, state: imageState(img), vmId: img.vmId } : undefined;
    },
    failNextCreate,
    proxyTimeoutNextCreate,
    /** CUDO suspends a VM (billing, abuse): SUSPENDED/`susp` from now on, stable, not left by itself. */
    suspend(id: string): void {
      const vm = vms.get(id);
      if (!vm) throw new Error(`no vm ${id}`);
      transition(vm, [{ state: 'SUSPENDED:susp' }]);
    },
    setCapacity,
    setIpv4Free,
    setEmitUnpopulated(emit: boolean): void {
      emitUnpopulated = emit;
    },
    /** Starts a VM's monitoring counters at `base` (int64 range), to check nothing loses precision. */
    setMonitorBase(id: string, base: bigint): void {
      const vm = vms.get(id);
      if (!vm) throw new Error(`no vm ${id}`);
      vm.monitorBase = base;
    },
    /** Adds an unattached storage disk (there is no disk endpoint among the 25), for `storageDiskIds`. */
    addStorageDisk(disk: { id: string; dataCenterId: string; sizeGib: number }): void {
      looseDisks.set(disk.id, {
        ...disk,
        vmId: '',
        storageClass: 'STORAGE_CLASS_NETWORK',
        diskType: 'DISK_TYPE_STORAGE',
        publicImageId: '',
        privateImageId: '',
        createTime: new Date(clock.now()).toISOString(),
      });
    },
    addSecurityGroup(group: SimSecurityGroup): void {
      catalog.securityGroups.push(structuredClone(group));
    },
    /** Admin/fault labels of this sandbox's endpoints, for fault rules. */
    labels: Object.fromEntries(cudoEndpoints.map((e) => [e.activity, endpointLabel(e)])) as Record<CudoActivityName, string>,
  };
}

export type CudoSandbox = ReturnType<typeof createCudoSandbox>;
