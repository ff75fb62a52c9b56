// Fixed CUDO catalogue for the sandbox: data centers, machine types (Decimal prices, free capacity), GPU models,
// public images and the project's security groups. Realistic in shape; the figures are made up.
// Each sandbox gets its own deep copy, because free capacity drops as VMs are created.

export interface SimDataCenter {
  id: string;
  regionId: string;
  supplierName: string;
  renewableEnergy: boolean;
  s3Endpoint: string;
  ipv4PriceHr: string;
  ipv4Free: number;
  diskPricing: Array<{ storageClass: 'STORAGE_CLASS_LOCAL' | 'STORAGE_CLASS_NETWORK'; diskGibPriceHr: string; snapshotGibPriceHr: string }>;
  networkPricing: Array<{ size: 'VROUTER_INSTANCE_SMALL' | 'VROUTER_INSTANCE_MEDIUM' | 'VROUTER_INSTANCE_LARGE'; priceHr: string }>;
}

export interface SimMachineType {
  dataCenterId: string;
  machineType: string;
  cpuModel: string;
  gpuModel: string;
  gpuModelId: string;
  minVcpuPerMemoryGib: number;
  maxVcpuPerMemoryGib: number;
  minVcpuPerGpu: number;
  maxVcpuPerGpu: number;
  vcpuPriceHr: string;
  memoryGibPriceHr: string;
  gpuPriceHr: string;
  minStorageGibPriceHr: string;
  renewableEnergy: boolean;
  /** Largest single VM a host can still take. */
  maxVcpuFree: number;
  maxMemoryGibFree: number;
  maxGpuFree: number;
  maxStorageGibFree: number;
  /** What is left across the data center for this machine type. */
  totalVcpuFree: number;
  totalMemoryGibFree: number;
  totalGpuFree: number;
  totalStorageGibFree: number;
  minVcpu: number;
  minMemoryGib: number;
}

export interface SimGpuModel {
  id: string;
  vendorName: string;
  modelName: string;
  memoryGib: number;
}

export interface SimPublicImage {
  id: string;
  name: string;
  description: string;
  displayName: string;
  platform: string;
  sizeGib: number;
  installedPackages: Array<{ name: string; description: string; version: string }>;
}

export interface SimSecurityGroup {
  id: string;
  dataCenterId: string;
  description: string;
  rules: Array<{ id: string; protocol: string; ports: string; ruleType: string; ipRangeCidr: string; icmpType: string }>;
}

const NET_PRICING: SimDataCenter['networkPricing'] = [
  { size: 'VROUTER_INSTANCE_SMALL', priceHr: '0.0100' },
  { size: 'VROUTER_INSTANCE_MEDIUM', priceHr: '0.0200' },
  { size: 'VROUTER_INSTANCE_LARGE', priceHr: '0.0400' },
];

const DATA_CENTERS: SimDataCenter[] = [
  {
    id: 'gb-bournemouth-1',
    regionId: 'gb-south',
    supplierName: 'Sandbox Hosting UK',
    renewableEnergy: true,
    s3Endpoint: 'https://s3.gb-bournemouth-1.sandbox.invalid',
    ipv4PriceHr: '0.0050',
    ipv4Free: 64,
    diskPricing: [
      { storageClass: 'STORAGE_CLASS_NETWORK', diskGibPriceHr: '0.000110', snapshotGibPriceHr: '0.000055' },
      { storageClass: 'STORAGE_CLASS_LOCAL', diskGibPriceHr: '0.000080', snapshotGibPriceHr: '0.000040' },
    ],
    networkPricing: NET_PRICING,
  },
  {
    id: 'se-smedjebacken-1',
    regionId: 'se-central',
    supplierName: 'Sandbox Nordic DC',
    renewableEnergy: true,
    s3Endpoint: 'https://s3.se-smedjebacken-1.sandbox.invalid',
    ipv4PriceHr: '0.0045',
    ipv4Free: 32,
    diskPricing: [{ storageClass: 'STORAGE_CLASS_NETWORK', diskGibPriceHr: '0.000100', snapshotGibPriceHr: '0.000050' }],
    networkPricing: NET_PRICING,
  },
  {
    id: 'us-santaclara-1',
    regionId: 'us-west',
    supplierName: 'Sandbox Compute US',
    renewableEnergy: false,
    s3Endpoint: 'https://s3.us-santaclara-1.sandbox.invalid',
    ipv4PriceHr: '0.0060',
    ipv4Free: 128,
    diskPricing: [{ storageClass: 'STORAGE_CLASS_NETWORK', diskGibPriceHr: '0.000120', snapshotGibPriceHr: '0.000060' }],
    networkPricing: NET_PRICING,
  },
  {
    // dstack #1075: this DC ran out of public IPv4 addresses; creates are accepted and then go FAILED.
    id: 'in-hyderabad-1',
    regionId: 'in-south',
    supplierName: 'Sandbox India Cloud',
    renewableEnergy: false,
    s3Endpoint: '',
    ipv4PriceHr: '0.0040',
    ipv4Free: 0,
    diskPricing: [{ storageClass: 'STORAGE_CLASS_NETWORK', diskGibPriceHr: '0.000090', snapshotGibPriceHr: '0.000045' }],
    networkPricing: NET_PRICING,
  },
];

const GPU_MODELS: SimGpuModel[] = [
  { id: 'rtx-a4000', vendorName: 'NVIDIA', modelName: 'RTX A4000', memoryGib: 16 },
  { id: 'rtx-a5000', vendorName: 'NVIDIA', modelName: 'RTX A5000', memoryGib: 24 },
  { id: 'a100-80gb-pcie', vendorName: 'NVIDIA', modelName: 'A100 80GB PCIe', memoryGib: 80 },
  { id: 'h100-sxm', vendorName: 'NVIDIA', modelName: 'H100 SXM', memoryGib: 80 },
];

function cpuType(dc: string, machineType: string, cpuModel: string, vcpuPrice: string, memPrice: string, vcpu: number, mem: number, renewable: boolean): SimMachineType {
  return {
    dataCenterId: dc,
    machineType,
    cpuModel,
    gpuModel: '',
    gpuModelId: '',
    minVcpuPerMemoryGib: 0.125,
    maxVcpuPerMemoryGib: 1,
    minVcpuPerGpu: 0,
    maxVcpuPerGpu: 0,
    vcpuPriceHr: vcpuPrice,
    memoryGibPriceHr: memPrice,
    gpuPriceHr: '0',
    minStorageGibPriceHr: '0.000110',
    renewableEnergy: renewable,
    maxVcpuFree: Math.min(vcpu, 64),
    maxMemoryGibFree: Math.min(mem, 256),
    maxGpuFree: 0,
    maxStorageGibFree: 2000,
    totalVcpuFree: vcpu,
    totalMemoryGibFree: mem,
    totalGpuFree: 0,
    totalStorageGibFree: 20000,
    minVcpu: 1,
    minMemoryGib: 1,
  };
}

function gpuType(dc: string, machineType: string, cpuModel: string, gpu: SimGpuModel, gpuPrice: string, gpus: number, renewable: boolean): SimMachineType {
  return {
    ...cpuType(dc, machineType, cpuModel, '0.0022', '0.0030', gpus * 12, gpus * 96, renewable),
    gpuModel: gpu.modelName,
    gpuModelId: gpu.id,
    minVcpuPerGpu: 1,
    maxVcpuPerGpu: 12,
    gpuPriceHr: gpuPrice,
    maxGpuFree: Math.min(gpus, 8),
    totalGpuFree: gpus,
  };
}

const [A4000, A5000, A100, H100] = GPU_MODELS as [SimGpuModel, SimGpuModel, SimGpuModel, SimGpuModel];

const MACHINE_TYPES: SimMachineType[] = [
  cpuType('gb-bournemouth-1', 'intel-broadwell', 'Intel Xeon E5-2697 v4 (Broadwell)', '0.0020', '0.0025', 256, 1024, true),
  cpuType('gb-bournemouth-1', 'epyc-milan', 'AMD EPYC 7543 (Milan)', '0.0028', '0.0032', 512, 2048, true),
  gpuType('gb-bournemouth-1', 'epyc-milan-rtx-a4000', 'AMD EPYC 7543 (Milan)', A4000, '0.1500', 16, true),
  cpuType('se-smedjebacken-1', 'epyc-rome', 'AMD EPYC 7402 (Rome)', '0.0024', '0.0028', 192, 768, true),
  gpuType('se-smedjebacken-1', 'epyc-rome-rtx-a5000', 'AMD EPYC 7402 (Rome)', A5000, '0.2600', 8, true),
  cpuType('us-santaclara-1', 'epyc-genoa', 'AMD EPYC 9354 (Genoa)', '0.0035', '0.0040', 768, 3072, false),
  gpuType('us-santaclara-1', 'epyc-genoa-a100', 'AMD EPYC 9354 (Genoa)', A100, '1.3000', 16, false),
  gpuType('us-santaclara-1', 'sapphire-rapids-h100', 'Intel Xeon Platinum 8468 (Sapphire Rapids)', H100, '2.4500', 8, false),
  cpuType('in-hyderabad-1', 'intel-cascadelake', 'Intel Xeon Gold 6248 (Cascade Lake)', '0.0018', '0.0022', 128, 512, false),
];

const PUBLIC_IMAGES: SimPublicImage[] = [
  {
    id: 'ubuntu-2204',
    name: 'ubuntu-2204',
    description: 'Ubuntu 22.04 LTS (Jammy Jellyfish), minimal server install',
    displayName: 'Ubuntu 22.04',
    platform: 'linux',
    sizeGib: 3,
    installedPackages: [
      { name: 'openssh-server', description: 'secure shell (SSH) server', version: '1:8.9p1-3ubuntu0.6' },
      { name: 'cloud-init', description: 'initialization and customization of cloud instances', version: '23.4.4-0ubuntu0~22.04.1' },
    ],
  },
  {
    id: 'ubuntu-2404',
    name: 'ubuntu-2404',
    description: 'Ubuntu 24.04 LTS (Noble Numbat), minimal server install',
    displayName: 'Ubuntu 24.04',
    platform: 'linux',
    sizeGib: 4,
    installedPackages: [{ name: 'openssh-server', description: 'secure shell (SSH) server', version: '1:9.6p1-3ubuntu13' }],
  },
  {
    id: 'ubuntu-2204-nvidia-535-docker-v20240214',
    name: 'ubuntu-2204-nvidia-535-docker-v20240214',
    description: 'Ubuntu 22.04 with NVIDIA driver 535, CUDA 12.2 and Docker',
    displayName: 'Ubuntu 22.04 + NVIDIA drivers + Docker',
    platform: 'linux',
    sizeGib: 20,
    installedPackages: [
      { name: 'nvidia-driver-535', description: 'NVIDIA driver metapackage', version: '535.154.05-0ubuntu0.22.04.1' },
      { name: 'cuda-toolkit-12-2', description: 'CUDA Toolkit 12.2', version: '12.2.2-1' },
      { name: 'docker-ce', description: 'Docker: the open-source application container engine', version: '5:25.0.3-1~ubuntu.22.04~jammy' },
    ],
  },
  {
    id: 'debian-12',
    name: 'debian-12',
    description: 'Debian 12 (bookworm)',
    displayName: 'Debian 12',
    platform: 'linux',
    sizeGib: 3,
    installedPackages: [{ name: 'openssh-server', description: 'secure shell (SSH) server', version: '1:9.2p1-2+deb12u2' }],
  },
];

const SECURITY_GROUPS: SimSecurityGroup[] = [
  {
    id: 'allow-ssh',
    dataCenterId: '',
    description: 'Inbound SSH from anywhere',
    rules: [{ id: 'allow-ssh-22', protocol: 'PROTOCOL_TCP', ports: '22', ruleType: 'RULE_TYPE_INBOUND', ipRangeCidr: '0.0.0.0/0', icmpType: '' }],
  },
  {
    id: 'allow-https',
    dataCenterId: '',
    description: 'Inbound HTTPS from anywhere',
    rules: [{ id: 'allow-https-443', protocol: 'PROTOCOL_TCP', ports: '443', ruleType: 'RULE_TYPE_INBOUND', ipRangeCidr: '0.0.0.0/0', icmpType: '' }],
  },
];

export interface SimCatalog {
  dataCenters: SimDataCenter[];
  machineTypes: SimMachineType[];
  gpuModels: SimGpuModel[];
  publicImages: SimPublicImage[];
  securityGroups: SimSecurityGroup[];
}

export function defaultCatalog(): SimCatalog {
  return structuredClone({ dataCenters: DATA_CENTERS, machineTypes: MACHINE_TYPES, gpuModels: GPU_MODELS, publicImages: PUBLIC_IMAGES, securityGroups: SECURITY_GROUPS });
}
