// The CUDO sandbox's model: VM, disk and image records, the time-driven VM state machine (state and shortState
// derived lazily from timestamps at the clock's speed), and the catalogue's free capacity as VMs come and go.
import { phaseAt, type Phase, type SandboxClock } from '../http/clock';
import { gatewayError } from './protojson';
import { BadRequest } from './request';
import type { SimCatalog, SimDataCenter, SimMachineType } from './catalog';

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

/** `STATE:shortState`, e.g. `CLONING:prol`. */
export type VmPhase = `${string}:${string}`;

export interface SimDisk {
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

export interface SimNic {
  networkId: string;
  externalIpAddress: string;
  internalIpAddress: string;
  networkAddress: string;
  securityGroupIds: string[];
}

export interface SimVm {
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

export interface SimImage {
  id: string;
  vmId: string;
  dataCenterId: string;
  description: string;
  sizeGib: number;
  platform: string;
  createdAt: number;
}

/** States a VM rests in; anything else is on its way somewhere. */
export const STABLE = new Set(['ACTIVE', 'STOPPED', 'FAILED', 'SUSPENDED', 'UNKNOWN']);

const CAPACITY_KEYS = ['maxVcpuFree', 'totalVcpuFree', 'maxMemoryGibFree', 'totalMemoryGibFree', 'maxGpuFree', 'totalGpuFree', 'maxStorageGibFree', 'totalStorageGibFree'] as const;
export type CapacityChange = Partial<Pick<SimMachineType, (typeof CAPACITY_KEYS)[number]>>;
type HostMax = Pick<SimMachineType, 'maxVcpuFree' | 'maxMemoryGibFree' | 'maxGpuFree' | 'maxStorageGibFree'>;

function splitPhase(p: VmPhase): { state: string; shortState: string } {
  const i = p.indexOf(':');
  return { state: p.slice(0, i), shortState: p.slice(i + 1) };
}

/** The sandbox's state: one per sandbox, shared by its routes, views and test helpers. */
export class CudoModel {
  readonly vms = new Map<string, SimVm>();
  readonly images = new Map<string, SimImage>();
  /** Storage disks not attached to a VM. */
  readonly looseDisks = new Map<string, SimDisk>();
  /** Creates still to end in FAILED/`fail`. */
  failNext = 0;
  /** Creates still to answer a proxy's non-JSON 504 after creating. */
  proxy504Next = 0;
  private ipCounter = 10;
  private readonly hostMax: Map<SimMachineType, HostMax>;

  constructor(
    readonly clock: SandboxClock,
    readonly timings: CudoSandboxTimings,
    readonly catalog: SimCatalog,
    readonly projectId: string,
  ) {
    this.hostMax = new Map(catalog.machineTypes.map((m) => [m, { maxVcpuFree: m.maxVcpuFree, maxMemoryGibFree: m.maxMemoryGibFree, maxGpuFree: m.maxGpuFree, maxStorageGibFree: m.maxStorageGibFree }]));
  }

  // --- VM state machine ---------------------------------------------------------------------------------------

  current(vm: SimVm): { state: string; shortState: string } {
    return splitPhase(phaseAt(vm.phases, this.clock.elapsedSince(vm.phaseStart)));
  }

  transition(vm: SimVm, phases: Array<Phase<VmPhase>>): void {
    vm.phases = phases;
    vm.phaseStart = this.clock.now();
  }

  /** A temporary state, then back to the stable state the VM was in. */
  through(vm: SimVm, phase: VmPhase, ms: number): void {
    const prior = this.current(vm);
    this.transition(vm, [{ state: phase, ms }, { state: `${prior.state}:${prior.shortState}` }]);
  }

  createPhases(fail: boolean): Array<Phase<VmPhase>> {
    const t = this.timings;
    if (fail) return [{ state: 'PENDING:pend', ms: t.pendingMs }, { state: 'CLONING:clon', ms: t.cloningMs }, { state: 'FAILED:fail' }];
    return [
      { state: 'PENDING:pend', ms: t.pendingMs },
      { state: 'CLONING:clon', ms: t.cloningMs },
      { state: 'CLONING:prol', ms: t.prologMs },
      { state: 'STARTING:boot', ms: t.bootMs },
      { state: 'ACTIVE:runn' },
    ];
  }

  /** Forgets VMs whose DELETED window has passed, giving their capacity back. */
  reap(): void {
    for (const vm of [...this.vms.values()]) if (this.current(vm).state === 'GONE') this.release(vm);
  }

  private release(vm: SimVm): void {
    this.vms.delete(vm.id);
    const mt = vm.mt;
    mt.totalVcpuFree += vm.vcpus;
    mt.totalMemoryGibFree += vm.memoryGib;
    mt.totalGpuFree += vm.gpus;
    mt.totalStorageGibFree += vm.bootDisk.sizeGib;
    if (vm.holdsIpv4) vm.dc.ipv4Free += 1;
    for (const d of vm.storageDisks) this.looseDisks.set(d.id, { ...d, vmId: '' });
    this.syncMax(mt);
  }

  findVm(id: string): SimVm {
    const vm = this.vms.get(id);
    if (!vm) throw new BadRequest(gatewayError('NOT_FOUND', `vm ${id} not found`));
    return vm;
  }

  requireState(vm: SimVm, allowed: string[], action: string): { state: string; shortState: string } {
    const now = this.current(vm);
    if (!allowed.includes(now.state)) {
      throw new BadRequest(gatewayError('FAILED_PRECONDITION', `cannot ${action} vm ${vm.id} in state ${now.state}; allowed in ${allowed.join(', ')}`));
    }
    return now;
  }

  nextPublicIp(): string {
    this.ipCounter += 1;
    return `203.0.113.${(this.ipCounter % 250) + 2}`; // TEST-NET-3 documentation range
  }

  nextInternalIp(): string {
    this.ipCounter += 1;
    return `10.0.${Math.floor(this.ipCounter / 250) % 250}.${(this.ipCounter % 250) + 2}`;
  }

  // --- private images -----------------------------------------------------------------------------------------

  imageState(img: SimImage): string {
    return phaseAt([{ state: 'LOCKED', ms: this.timings.imageSaveMs }, { state: 'READY' }], this.clock.elapsedSince(img.createdAt));
  }

  findImage(id: string): SimImage {
    const img = this.images.get(id);
    if (!img) throw new BadRequest(gatewayError('NOT_FOUND', `image ${id} not found`));
    return img;
  }

  // --- capacity -----------------------------------------------------------------------------------------------

  /** Per-host maxima follow what is left: min(the host size, the data center's total). */
  syncMax(mt: SimMachineType): void {
    const host = this.hostMax.get(mt)!;
    mt.maxVcpuFree = Math.max(0, Math.min(host.maxVcpuFree, mt.totalVcpuFree));
    mt.maxMemoryGibFree = Math.max(0, Math.min(host.maxMemoryGibFree, mt.totalMemoryGibFree));
    mt.maxGpuFree = Math.max(0, Math.min(host.maxGpuFree, mt.totalGpuFree));
    mt.maxStorageGibFree = Math.max(0, Math.min(host.maxStorageGibFree, mt.totalStorageGibFree));
  }

  setCapacity(dataCenterId: string, machineType: string, free: CapacityChange): void {
    const mt = this.catalog.machineTypes.find((m) => m.dataCenterId === dataCenterId && m.machineType === machineType);
    if (!mt) throw new Error(`no machine type ${machineType} in ${dataCenterId}`);
    for (const k of CAPACITY_KEYS) {
      const v = free[k];
      if (typeof v === 'number' && Number.isFinite(v)) {
        mt[k] = Math.max(0, Math.floor(v));
        if (k.startsWith('max')) this.hostMax.get(mt)![k as keyof HostMax] = mt[k];
      }
    }
    this.syncMax(mt);
  }

  setIpv4Free(dataCenterId: string, count: number): void {
    const dc = this.catalog.dataCenters.find((d) => d.id === dataCenterId);
    if (!dc) throw new Error(`no data center ${dataCenterId}`);
    if (!Number.isFinite(count) || count < 0) throw new Error('free must be a non-negative number');
    dc.ipv4Free = Math.floor(count);
  }
}
