// The CUDO sandbox's endpoints (providers/cudo/endpoints.ts), in registration order: private images, the VM
// lifecycle and its actions (refused with 400 code 9 in a wrong state), and the catalogue with its free capacity.
import { randomBytes } from 'node:crypto';
import type { CudoActivityName } from '../../providers/cudo/endpoints';
import { CUDO_VM_ID_PATTERN } from '../../contract/rules/cudo';
import type { SandboxRequest, SandboxResponse } from '../http/server';
import { createVm } from './create-vm';
import { STABLE, type CudoModel, type SimImage } from './model';
import { dec, gatewayError, NO_HOSTS_MESSAGE } from './protojson';
import { BadRequest, camelize, invalid, queryBool, queryInt } from './request';
import { diskJson, imageJson, vmJson } from './views';

/** What the routes work with: the model, protojson output, and the server's route registration. */
export interface CudoRouteContext {
  model: CudoModel;
  out(json: unknown): SandboxResponse;
  route(activity: CudoActivityName, handler: (req: SandboxRequest) => SandboxResponse): void;
}

export const EMPTY: SandboxResponse = { status: 200, json: {} };

export function registerCudoRoutes(ctx: CudoRouteContext): void {
  const { model, out, route } = ctx;

  route('cudoCountVms', () => out({ count: model.vms.size }));

  route('cudoListPrivateImages', (req) => {
    const pageNumber = Math.max(1, queryInt(req, 'pageNumber') ?? 1);
    const requested = queryInt(req, 'pageSize') ?? 0;
    if (requested < 0) invalid('invalid ListPrivateVMImagesRequest.PageSize: value must be greater than or equal to 0');
    const pageSize = requested === 0 ? 10 : Math.min(requested, 100);
    const all = [...model.images.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return out({ images: page.map((img) => imageJson(model, img)), totalCount: all.length, pageNumber, pageSize });
  });

  route('cudoCreatePrivateImage', (req) => {
    const vmId = req.query.get('vmId') ?? '';
    const id = req.query.get('id') ?? '';
    if (!vmId) invalid('invalid CreatePrivateVMImageRequest.VmId: value length must be at least 1 runes');
    if (!id) invalid('invalid CreatePrivateVMImageRequest.Id: value length must be at least 1 runes');
    if (!CUDO_VM_ID_PATTERN.test(id)) invalid('invalid CreatePrivateVMImageRequest.Id: value does not match regex pattern "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"');
    const vm = model.findVm(vmId);
    if (model.images.has(id) || model.catalog.publicImages.some((i) => i.id === id)) throw new BadRequest(gatewayError('ALREADY_EXISTS', 'An image with that id already exists'));
    model.requireState(vm, ['ACTIVE', 'STOPPED'], 'create an image from');
    const img: SimImage = {
      id,
      vmId,
      dataCenterId: vm.dc.id,
      description: req.query.get('description') ?? '',
      sizeGib: vm.bootDisk.sizeGib,
      platform: model.catalog.publicImages.find((i) => i.id === vm.publicImageId)?.platform ?? 'linux',
      createdAt: model.clock.now(),
    };
    model.images.set(id, img);
    model.through(vm, 'HOTPLUGGING:hotp', model.timings.imageSaveMs); // the disk is saved while the VM is locked
    return out({ image: imageJson(model, img) });
  });


  route('cudoGetPrivateImage', (req) => out({ image: imageJson(model, model.findImage(req.params.id!)) }));

  route('cudoDeletePrivateImage', (req) => {
    const img = model.findImage(req.params.id!);
    if (model.imageState(img) !== 'READY') throw new BadRequest(gatewayError('FAILED_PRECONDITION', `image ${img.id} is ${model.imageState(img)}; wait until it is READY`));
    model.images.delete(img.id);
    return EMPTY;
  });

  route('cudoUpdatePrivateImage', (req) => {
    const img = model.findImage(req.params.id!);
    img.description = req.query.get('description') ?? '';
    return EMPTY;
  });

  route('cudoCreateVm', (req) => createVm(ctx, req));

  route('cudoUpdateVmMetadata', (req) => {
    const vm = model.findVm(req.params.id!);
    if (typeof req.body === 'string') invalid('proto: syntax error (line 1:1): invalid JSON body');
    const b = camelize(req.body ?? {}) as { metadata?: unknown; merge?: unknown };
    const md = b.metadata ?? {};
    if (typeof md !== 'object' || md === null || Array.isArray(md)) invalid('proto: (line 1:1): invalid value for map field metadata');
    for (const [k, v] of Object.entries(md)) if (typeof v !== 'string') invalid(`proto: (line 1:1): invalid value for string field metadata[${JSON.stringify(k)}]`);
    model.requireState(vm, ['PENDING', 'CLONING', 'STARTING', 'ACTIVE', 'STOPPING', 'STOPPED', 'FAILED', 'HOTPLUGGING', 'RESIZING', 'RESIZING_DISK', 'SUSPENDED', 'UNKNOWN'], 'update metadata of');
    vm.metadata = b.merge === true ? { ...vm.metadata, ...(md as Record<string, string>) } : { ...(md as Record<string, string>) };
    return out({ metadata: { ...vm.metadata } });
  });

  function securityGroupChange(req: SandboxRequest, attach: boolean): SandboxResponse {
    const vm = model.findVm(req.params.id!);
    const sgId = req.query.get('securityGroupId') ?? '';
    if (!sgId) invalid('invalid SecurityGroupRequest.SecurityGroupId: value length must be at least 1 runes');
    const sg = model.catalog.securityGroups.find((g) => g.id === sgId && (!g.dataCenterId || g.dataCenterId === vm.dc.id));
    if (!sg) throw new BadRequest(gatewayError('NOT_FOUND', `security group ${sgId} not found`));
    model.requireState(vm, ['ACTIVE', 'STOPPED'], attach ? 'attach a security group to' : 'detach a security group from');
    const lists = vm.nics.length ? vm.nics.map((n) => n.securityGroupIds) : [vm.securityGroupIds];
    const has = lists.some((l) => l.includes(sgId));
    if (attach && has) return EMPTY; // already attached: nothing to do
    if (!attach && !has) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `security group ${sgId} is not attached to vm ${vm.id}`));
    for (const l of lists) {
      const i = l.indexOf(sgId);
      if (attach) l.push(sgId);
      else if (i >= 0) l.splice(i, 1);
    }
    model.through(vm, 'HOTPLUGGING:hotp', model.timings.hotplugMs);
    return EMPTY;
  }

  route('cudoAttachSecurityGroup', (req) => securityGroupChange(req, true));
  route('cudoDetachSecurityGroup', (req) => securityGroupChange(req, false));

  route('cudoListVms', (req) => {
    const networkId = req.query.get('networkId');
    const list = [...model.vms.values()].filter((vm) => !networkId || vm.nics.some((n) => n.networkId === networkId));
    return out({ VMs: list.map((vm) => vmJson(model, vm)) });
  });

  route('cudoGetVm', (req) => {
    const vm = model.findVm(req.params.id!);
    const json = vmJson(model, vm);
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
    const vm = model.findVm(req.params.id!);
    model.requireState(vm, ['ACTIVE'], 'connect to');
    const connectionId = req.query.get('connectionId') || randomBytes(8).toString('hex');
    return out({ connectUrl: `wss://vnc.sandbox.invalid/v1/projects/${model.projectId}/vms/${vm.id}/vnc?connectionId=${connectionId}`, token: randomBytes(24).toString('base64url') });
  });

  route('cudoListVmDisks', (req) => {
    const vm = model.findVm(req.params.id!);
    return out({ disks: [vm.bootDisk, ...vm.storageDisks].map((d) => diskJson(model, vm, d)) });
  });

  route('cudoResizeVmDisk', (req) => {
    const vm = model.findVm(req.params.id!);
    const diskId = req.query.get('diskId') ?? '';
    const sizeGib = queryInt(req, 'sizeGib') ?? 0;
    if (!diskId) invalid('invalid ResizeVMDiskRequest.DiskId: value length must be at least 1 runes');
    const disk = [vm.bootDisk, ...vm.storageDisks].find((d) => d.id === diskId);
    if (!disk) throw new BadRequest(gatewayError('NOT_FOUND', `disk ${diskId} not found on vm ${vm.id}`));
    if (sizeGib <= disk.sizeGib) invalid(`new size ${sizeGib} GiB must be larger than the current ${disk.sizeGib} GiB (disks can only grow)`);
    model.requireState(vm, ['ACTIVE', 'STOPPED'], 'resize a disk of');
    const extra = sizeGib - disk.sizeGib;
    if (extra > vm.mt.totalStorageGibFree) invalid(NO_HOSTS_MESSAGE);
    vm.mt.totalStorageGibFree -= extra;
    model.syncMax(vm.mt);
    disk.sizeGib = sizeGib;
    vm.resizingDiskId = disk.id;
    model.through(vm, 'RESIZING_DISK:drsz', model.timings.diskResizeMs);
    return EMPTY;
  });

  route('cudoMonitorVm', (req) => {
    const vm = model.findVm(req.params.id!);
    const bootedAfter = model.timings.pendingMs + model.timings.cloningMs + model.timings.prologMs + model.timings.bootMs;
    const simSinceCreate = model.clock.elapsedSince(vm.createdAt);
    const items: unknown[] = [];
    const { state } = model.current(vm);
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
          timestamp: String(Math.floor((model.clock.now() - model.clock.real(k * stepMs)) / 1000)),
          guestPing: '1',
        });
      }
    }
    return out({ items });
  });

  route('cudoRebootVm', (req) => {
    const vm = model.findVm(req.params.id!);
    model.requireState(vm, ['ACTIVE'], 'reboot');
    vm.reboots += 1;
    // The notes: a reboot may stay ACTIVE throughout; OpenNebula passes through `boot` briefly.
    model.transition(vm, [{ state: 'ACTIVE:boot', ms: model.timings.rebootMs }, { state: 'ACTIVE:runn' }]);
    return EMPTY;
  });

  route('cudoStartVm', (req) => {
    const vm = model.findVm(req.params.id!);
    model.requireState(vm, ['STOPPED'], 'start');
    model.transition(vm, [{ state: 'STARTING:boot', ms: model.timings.startMs }, { state: 'ACTIVE:runn' }]);
    return EMPTY;
  });

  route('cudoStopVm', (req) => {
    const vm = model.findVm(req.params.id!);
    model.requireState(vm, ['ACTIVE'], 'stop');
    model.transition(vm, [{ state: 'STOPPING:shut', ms: model.timings.stopMs }, { state: 'STOPPED:poff' }]);
    return EMPTY;
  });

  route('cudoTerminateVm', (req) => {
    const vm = model.findVm(req.params.id!);
    const { state } = model.current(vm);
    if (state === 'DELETING' || state === 'DELETED') return EMPTY; // already on its way out
    if (!STABLE.has(state)) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `cannot terminate vm ${vm.id} in state ${state}; wait for it to settle`));
    model.transition(vm, [
      { state: 'DELETING:epil', ms: model.timings.deletingMs },
      { state: 'DELETED:done', ms: model.timings.deletedVisibleMs },
      { state: 'GONE:' },
    ]);
    return EMPTY;
  });

  route('cudoResizeVm', (req) => {
    const vm = model.findVm(req.params.id!);
    const vcpus = queryInt(req, 'vcpus') || vm.vcpus;
    const memoryGib = queryInt(req, 'memoryGib') || vm.memoryGib;
    const mt = vm.mt;
    if (vcpus < mt.minVcpu || memoryGib < mt.minMemoryGib) invalid(`machine type ${mt.machineType} needs at least ${mt.minVcpu} vCPUs and ${mt.minMemoryGib} GiB`);
    const ratio = vcpus / memoryGib;
    if (ratio < mt.minVcpuPerMemoryGib || ratio > mt.maxVcpuPerMemoryGib) invalid(`vCPU to memory ratio ${ratio.toFixed(3)} is outside ${mt.minVcpuPerMemoryGib}..${mt.maxVcpuPerMemoryGib}`);
    model.requireState(vm, ['ACTIVE', 'STOPPED'], 'resize');
    const dv = vcpus - vm.vcpus;
    const dm = memoryGib - vm.memoryGib;
    if (dv > mt.totalVcpuFree || dm > mt.totalMemoryGibFree) invalid(NO_HOSTS_MESSAGE);
    mt.totalVcpuFree -= dv;
    mt.totalMemoryGibFree -= dm;
    model.syncMax(mt);
    vm.vcpus = vcpus;
    vm.memoryGib = memoryGib;
    model.through(vm, 'RESIZING:hotp', model.timings.resizeMs);
    return out({ vm: vmJson(model, vm) });
  });

  route('cudoListDataCenters', (req) => {
    const regions = req.query.getAll('regionId').filter(Boolean);
    const renewable = queryBool(req, 'renewableEnergy');
    const list = model.catalog.dataCenters.filter((d) => (regions.length === 0 || regions.includes(d.regionId)) && (renewable === undefined || !renewable || d.renewableEnergy));
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

  route('cudoListGpuModels', () => out({ gpuModels: model.catalog.gpuModels.map((g) => ({ ...g })) }));

  route('cudoListMachineTypes', () =>
    out({
      machineTypes: model.catalog.machineTypes.map((m) => ({
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
        ipv4PriceHr: dec(model.catalog.dataCenters.find((d) => d.id === m.dataCenterId)?.ipv4PriceHr ?? '0'),
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

  route('cudoListPublicImages', () => out({ images: model.catalog.publicImages.map((i) => ({ ...i, installedPackages: i.installedPackages.map((p) => ({ ...p })) })) }));
}
