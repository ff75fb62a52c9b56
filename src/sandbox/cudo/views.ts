// What the CUDO sandbox answers and shows: VMs, disks and private images in the API's JSON shapes (before
// protojson's zero-value handling), prices computed exactly, and the view a test gets of a VM.
import type { SimSecurityGroup } from './catalog';
import type { CudoModel, SimDisk, SimImage, SimVm } from './model';
import { fromUnits, toUnits } from './protojson';

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

function diskState(model: CudoModel, vm: SimVm, disk: SimDisk): string {
  const { state } = model.current(vm);
  if (state === 'PENDING') return 'DISK_STATE_INIT';
  if (state === 'CLONING') return disk.diskType === 'DISK_TYPE_BOOT' ? 'DISK_STATE_CLONE' : 'DISK_STATE_USED';
  if (state === 'DELETING' || state === 'DELETED') return 'DISK_STATE_DELETE';
  if (state === 'FAILED') return disk.diskType === 'DISK_TYPE_BOOT' ? 'DISK_STATE_ERROR' : 'DISK_STATE_USED';
  if (state === 'RESIZING_DISK' && vm.resizingDiskId === disk.id) return 'DISK_STATE_LOCKED';
  return 'DISK_STATE_USED';
}

export function diskJson(model: CudoModel, vm: SimVm | undefined, disk: SimDisk) {
  return {
    id: disk.id,
    projectId: model.projectId,
    dataCenterId: disk.dataCenterId,
    vmId: disk.vmId,
    sizeGib: disk.sizeGib,
    storageClass: disk.storageClass,
    diskType: disk.diskType,
    publicImageId: disk.publicImageId,
    privateImageId: disk.privateImageId,
    createTime: disk.createTime,
    diskState: vm ? diskState(model, vm, disk) : 'DISK_STATE_READY',
  };
}

function securityGroups(model: CudoModel, vm: SimVm): SimSecurityGroup[] {
  const ids = new Set([...vm.securityGroupIds, ...vm.nics.flatMap((n) => n.securityGroupIds)]);
  return model.catalog.securityGroups.filter((g) => ids.has(g.id));
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

export function vmJson(model: CudoModel, vm: SimVm) {
  const { state, shortState } = model.current(vm);
  const groups = securityGroups(model, vm);
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
    bootDisk: diskJson(model, vm, vm.bootDisk),
    storageDisks: vm.storageDisks.map((d) => diskJson(model, vm, d)),
    metadata: { ...vm.metadata },
    state,
    createTime: vm.createTime,
    expireTime: vm.expireTime,
    price: price(vm),
    commitmentTerm: 'COMMITMENT_TERM_NONE',
    commitmentEndTime: null,
    sshKeySource: vm.sshKeySource,
    authorizedSshKeys: vm.authorizedSshKeys,
    securityGroups: groups.map((g) => ({ projectId: model.projectId, dataCenterId: g.dataCenterId || vm.dc.id, id: g.id, description: g.description, rules: g.rules })),
  };
}

export function imageJson(model: CudoModel, img: SimImage) {
  return { projectId: model.projectId, id: img.id, dataCenterId: img.dataCenterId, description: img.description, sizeGib: img.sizeGib, platform: img.platform, state: model.imageState(img) };
}

export function vmView(model: CudoModel, vm: SimVm): CudoSandboxVmView {
  const { state, shortState } = model.current(vm);
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

export function listViews(model: CudoModel): CudoSandboxVmView[] {
  model.reap();
  return [...model.vms.values()].map((vm) => vmView(model, vm));
}
