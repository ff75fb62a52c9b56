// POST /v1/projects/{projectId}/vm: the create call, checked as CUDO checks it (protoc-gen-validate first, then the
// catalogue, uniqueness and capacity), with the quirks: a create that turns FAILED (failNextCreate, or no free IPv4),
// and a proxy's non-JSON 504 after the VM was created.
import { COMMITMENT_TERMS, SSH_KEY_SOURCES, STORAGE_CLASSES } from '../../providers/cudo/schemas';
import { CUDO_VM_ID_PATTERN } from '../../contract/rules/cudo';
import type { SandboxRequest, SandboxResponse } from '../http/server';
import type { SimVm } from './model';
import { gatewayError, NO_HOSTS_MESSAGE } from './protojson';
import { BadRequest, camelize, enumField, intField, invalid, strField } from './request';
import type { CudoRouteContext } from './routes';
import { vmJson } from './views';

const HTML_504 =
  '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export function createVm({ model, out }: CudoRouteContext, req: SandboxRequest): SandboxResponse {
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
  const dc = model.catalog.dataCenters.find((d) => d.id === dataCenterId);
  if (!dc) invalid(`data center ${dataCenterId} does not exist`);
  const mt = model.catalog.machineTypes.find((t) => t.dataCenterId === dc.id && t.machineType === machineType);
  if (!mt) invalid(`machine type ${machineType} is not available in data center ${dc.id}`);
  const pub = model.catalog.publicImages.find((i) => i.id === bootDiskImageId);
  const priv = pub ? undefined : model.images.get(bootDiskImageId);
  if (!pub && !priv) invalid(`image ${bootDiskImageId} not found`);
  if (priv && model.imageState(priv) !== 'READY') throw new BadRequest(gatewayError('FAILED_PRECONDITION', `image ${priv.id} is not ready`));
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
    if (!model.catalog.securityGroups.some((g) => g.id === sg && (!g.dataCenterId || g.dataCenterId === dc.id))) throw new BadRequest(gatewayError('NOT_FOUND', `security group ${sg} not found`));
  }
  const wantsPublicIp = nicsIn.length === 0 || nicsIn.some((n) => n.assignPublicIp !== false);

  // storage disks
  const storageIds = Array.isArray(b.storageDiskIds) ? b.storageDiskIds.map((s, i) => strField(s, `storageDiskIds[${i}]`) ?? '') : [];
  const storage = storageIds.map((id) => {
    const d = model.looseDisks.get(id);
    if (!d) {
      if ([...model.vms.values()].some((v) => v.storageDisks.some((x) => x.id === id))) throw new BadRequest(gatewayError('FAILED_PRECONDITION', `disk ${id} is attached to another vm`));
      throw new BadRequest(gatewayError('NOT_FOUND', `disk ${id} not found`));
    }
    if (d.dataCenterId !== dc.id) invalid(`disk ${id} is in data center ${d.dataCenterId}, not ${dc.id}`);
    return d;
  });

  // uniqueness: vmId, then an explicit boot disk id (disk ids share the project namespace)
  if (model.vms.has(vmId)) throw new BadRequest(gatewayError('ALREADY_EXISTS', 'A VM with that id already exists'));
  if (bootDiskId && (model.looseDisks.has(bootDiskId) || [...model.vms.values()].some((v) => v.bootDisk.id === bootDiskId || v.storageDisks.some((d) => d.id === bootDiskId)))) {
    throw new BadRequest(gatewayError('ALREADY_EXISTS', 'A disk with that id already exists'));
  }

  // capacity: the largest VM a host can still take
  if (vcpus > mt.maxVcpuFree || memoryGib > mt.maxMemoryGibFree || gpus > mt.maxGpuFree || bootSize > mt.maxStorageGibFree) invalid(NO_HOSTS_MESSAGE);

  const now = model.clock.now();
  const fail = !b.validateOnly && (model.failNext > 0 || (wantsPublicIp && dc.ipv4Free <= 0));
  const externalIp = wantsPublicIp && dc.ipv4Free > 0 ? model.nextPublicIp() : '';
  const internalIp = model.nextInternalIp();
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
    phases: model.createPhases(fail),
    phaseStart: now,
    createdAt: now,
    monitorBase: 0n,
    reboots: 0,
    holdsIpv4: externalIp !== '',
  };
  if (b.validateOnly === true) return out({ id: vmId, vm: vmJson(model, vm) });

  if (model.failNext > 0) model.failNext -= 1;
  model.vms.set(vmId, vm);
  for (const d of storage) model.looseDisks.delete(d.id);
  mt.totalVcpuFree -= vcpus;
  mt.totalMemoryGibFree -= memoryGib;
  mt.totalGpuFree -= gpus;
  mt.totalStorageGibFree -= bootSize;
  model.syncMax(mt);
  if (vm.holdsIpv4) dc.ipv4Free -= 1;

  if (model.proxy504Next > 0) {
    // The VM exists, but the proxy in front of the API gave up first (terraform-provider-cudo commit 8f1d433).
    model.proxy504Next -= 1;
    return { status: 504, text: HTML_504, headers: { 'content-type': 'text/html' } };
  }
  return out({ id: vmId, vm: vmJson(model, vm) });
}
