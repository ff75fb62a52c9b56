// The sandbox's CVM model: records, the timed power state machine, and rendering per API version.
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { phaseAt, type Phase, type SandboxClock } from '../http/clock';
import type { KmsType } from '../../providers/phala/schemas';
import { sandboxOsImageHash } from './attestation';

export type SandboxStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'restarting' | 'exited';
export type PowerOp = 'boot' | 'stop' | 'shutdown' | 'restart' | 'idle';

export interface PhalaSandboxDurations {
  /** Simulated ms in `starting` after commit / start / replicate (default 45 s). */
  bootMs: number;
  /** `stopping` after a forced stop (default 5 s). */
  stopMs: number;
  /** `stopping` during a graceful shutdown (default 20 s). */
  shutdownMs: number;
  /** `restarting` before `running` again (default 40 s; a forced restart takes half). */
  restartMs: number;
}

export const DEFAULT_DURATIONS: PhalaSandboxDurations = { bootMs: 45_000, stopMs: 5_000, shutdownMs: 20_000, restartMs: 40_000 };

export interface SandboxNode {
  id: number;
  name: string;
  region: string;
  deviceId: string;
  fmspc: string;
  supportOnchainKms: boolean;
  images: string[];
  vcpu: number;
  memory: number;
  slots: number;
}

export const DEFAULT_NODES: SandboxNode[] = [
  { id: 3, name: 'prod7', region: 'us-west-1', deviceId: 'e5a0c70bb6503de2d31c11d85914fe3776ed5b33a078ed856327c371a60fe0fd', fmspc: '00806f050000', supportOnchainKms: true, images: ['dstack-0.5.3', 'dstack-dev-0.5.3'], vcpu: 64, memory: 262_144, slots: 64 },
  { id: 5, name: 'prod9', region: 'eu-central-1', deviceId: '7a82191bd4dedb9d716e3aa422963cf1009f36e3068404a0322feca1ce517dc9', fmspc: '00606a000000', supportOnchainKms: true, images: ['dstack-0.5.3', 'dstack-dev-0.5.3'], vcpu: 32, memory: 131_072, slots: 32 },
  { id: 6, name: 'tiny1', region: 'ap-southeast-1', deviceId: '1d5a6f63b2c0a6bbf0cfe4a5dc7ee9e8b1b1b6f15f0c3f2e0a7b2f0c9d3e4a51', fmspc: '00906ed50000', supportOnchainKms: false, images: ['dstack-0.5.3'], vcpu: 4, memory: 8_192, slots: 2 },
];

export const DEFAULT_IMAGE = 'dstack-0.5.3';

export const INSTANCE_TYPES: Record<string, { vcpu: number; memory: number }> = {
  'tdx.small': { vcpu: 1, memory: 2_048 },
  'tdx.medium': { vcpu: 2, memory: 4_096 },
  'tdx.large': { vcpu: 4, memory: 8_192 },
  'tdx.xlarge': { vcpu: 8, memory: 16_384 },
};

export const KMS_CATALOGUE: Record<KmsType, { id: string; slug: string; url: string; version: string; chain_id: number | null; kms_contract_address: string | null; gateway_app_id: string; rpc_endpoint: string | null }> = {
  PHALA: { id: 'kms_1Lq9aPhA', slug: 'phala-prod7', url: 'https://kms.phala.network', version: 'v0.5.3', chain_id: null, kms_contract_address: null, gateway_app_id: '0x9ed2a19a2b95a3f6c7a70bd2a5dd1cd3f7c51e4b', rpc_endpoint: null },
  ETHEREUM: { id: 'kms_eTh3rEum', slug: 'ethereum', url: 'https://kms-eth.phala.network', version: 'v0.5.3', chain_id: 1, kms_contract_address: '0x2f83172a49584c017f2b256f0fb2dca14126ba9c', gateway_app_id: '0x39f2f3373cea6b7fa0a5c45c9b5b8d5e6d7d3b1f', rpc_endpoint: 'https://eth.llamarpc.com' },
  BASE: { id: 'kms_bA5e8453', slug: 'base', url: 'https://kms-base.phala.network', version: 'v0.5.3', chain_id: 8453, kms_contract_address: '0x2f83172a49584c017f2b256f0fb2dca14126ba9d', gateway_app_id: '0x2c6ec6a4d8a3a0f1f6a62e5c3c0f7a9b5d4e1f2a', rpc_endpoint: 'https://mainnet.base.org' },
};

export interface Timeline {
  op: PowerOp;
  since: number; // real ms
  phases: Array<Phase<SandboxStatus>>;
  correlationId: string;
  bootError?: string;
}

export interface SandboxCvm {
  dbId: number;
  hashid: string;
  name: string;
  owner: number;
  appId: string; // 40 lowercase hex
  vmUuid: string; // dashed
  instanceId: string; // 40 hex
  nodeId: number;
  image: string;
  vcpu: number;
  memory: number;
  diskSize: number;
  instanceType: string;
  composeFile: Record<string, unknown>;
  composeHash: string;
  kms: KmsType;
  encryptedEnvPubkey: string;
  encryptedEnv?: string;
  /** Env keys the guest accepted (decrypted and listed in allowed_envs); never the values. */
  envKeys: string[];
  /** Keys decrypted but dropped (not in allowed_envs or invalid names), as the guest parser skips them. */
  skippedEnvKeys: string[];
  declaredEnvKeys: string[];
  envError?: string;
  contractAddress?: string;
  deployerAddress?: string;
  listed: boolean;
  createdAt: number;
  timeline: Timeline;
  replicaOf?: string;
}

export interface PendingProvision {
  owner: number;
  appId: string | null;
  composeHash: string;
  composeFile: Record<string, unknown>;
  name: string;
  vcpu: number;
  memory: number;
  diskSize: number;
  instanceType: string;
  nodeId: number;
  image: string;
  kms: KmsType;
  envKeys: string[];
  listed: boolean;
  createdAt: number;
}

export interface AppKey {
  privateKey: KeyObject;
  publicKeyHex: string;
}

export const newHex = (bytes: number) => randomBytes(bytes).toString('hex');
const HASHID_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newHashid(prefix: string): string {
  const b = randomBytes(8);
  return `${prefix}_${Array.from(b, (x) => HASHID_ALPHABET[x % HASHID_ALPHABET.length]).join('')}`;
}
export const newUuid = () => randomUUID();

export interface CvmView {
  status: SandboxStatus;
  inProgress: boolean;
  target: SandboxStatus | null;
  bootError: string | null;
  exitedAt: string | null;
  uptime: string | null;
  bootProgress: string;
  shutdownProgress: string | null;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s % 60}s`].filter(Boolean).join(' ');
}

/** The current state, derived lazily from the timeline and the clock. */
export function viewOf(cvm: SandboxCvm, clock: SandboxClock): CvmView {
  const t = cvm.timeline;
  const elapsed = clock.elapsedSince(t.since);
  const status = phaseAt(t.phases, elapsed);
  const final = t.phases[t.phases.length - 1]!.state;
  const inProgress = status !== final;
  const transitionMs = t.phases.slice(0, -1).reduce((a, p) => a + (p.ms ?? 0), 0);
  const exited = status === 'exited';
  return {
    status,
    inProgress,
    target: inProgress ? final : null,
    bootError: exited ? (t.bootError ?? 'the VM process exited') : null,
    exitedAt: exited || status === 'stopped' ? new Date(t.since + clock.real(transitionMs)).toISOString() : null,
    uptime: status === 'running' ? formatUptime(elapsed - transitionMs) : null,
    bootProgress: status === 'starting' || status === 'restarting' ? 'booting' : status === 'running' ? 'running' : 'N/A',
    shutdownProgress: t.op === 'shutdown' && status === 'stopping' ? 'shutting down containers' : t.op === 'shutdown' && status === 'stopped' ? 'done' : null,
  };
}

// ------------------------------------------------------------------ rendering

export type RenderVersion = '2025-10-28' | '2026-01-21' | '2026-05-22';

export interface RenderContext {
  clock: SandboxClock;
  node: (id: number) => SandboxNode | undefined;
}

function appUrl(cvm: SandboxCvm, node?: SandboxNode): string {
  return `https://${cvm.appId}-8080.dstack-${node?.name ?? 'node'}.phala.network`;
}

function kmsInfoLegacy(cvm: SandboxCvm) {
  const k = KMS_CATALOGUE[cvm.kms];
  return { id: k.id, url: k.url, version: k.version, slug: k.slug, chain_id: k.chain_id, kms_contract_address: k.kms_contract_address, gateway_app_id: k.gateway_app_id };
}

function idFor(cvm: SandboxCvm, version: RenderVersion, lifecycle: boolean): number | string {
  if (version === '2025-10-28') return cvm.dbId;
  if (version === '2026-01-21') return lifecycle ? 0 : cvm.hashid; // 0 is the sentinel of 2026-01-21 lifecycle answers
  return cvm.hashid;
}

/** VMSchema, what lifecycle mutations answer. */
export function renderVm(cvm: SandboxCvm, version: RenderVersion, ctx: RenderContext): Record<string, unknown> {
  const v = viewOf(cvm, ctx.clock);
  const node = ctx.node(cvm.nodeId);
  return {
    id: idFor(cvm, version, true),
    name: cvm.name,
    status: v.status,
    teepod_id: cvm.nodeId,
    teepod: node ? { id: node.id, name: node.name, region_identifier: node.region } : null,
    user_id: version === '2026-05-22' ? `usr_${cvm.owner.toString(36).padStart(8, 'x')}` : cvm.owner,
    app_id: cvm.appId,
    vm_uuid: cvm.vmUuid,
    instance_id: cvm.instanceId,
    app_url: appUrl(cvm, node),
    base_image: cvm.image,
    vcpu: cvm.vcpu,
    memory: cvm.memory,
    disk_size: cvm.diskSize,
    manifest_version: 2,
    version: '0.5.3',
    runner: (cvm.composeFile.runner as string | undefined) ?? 'docker-compose',
    docker_compose_file: (cvm.composeFile.docker_compose_file as string | undefined) ?? null,
    features: ['kms', 'tproxy-net'],
    created_at: new Date(cvm.createdAt).toISOString(),
    encrypted_env_pubkey: cvm.encryptedEnvPubkey,
  };
}

/** GET /cvms/{id}: CvmDetail (2025-10-28, the docs) or CvmInfoDetailV20260121. */
export function renderDetail(cvm: SandboxCvm, version: RenderVersion, ctx: RenderContext): Record<string, unknown> {
  const v = viewOf(cvm, ctx.clock);
  const node = ctx.node(cvm.nodeId);
  const publicUrls = [{ app: appUrl(cvm, node), instance: `https://${cvm.instanceId}-8080.dstack-${node?.name ?? 'node'}.phala.network` }];
  const cf = cvm.composeFile;
  if (version === '2025-10-28') {
    return {
      id: cvm.dbId,
      name: cvm.name,
      status: v.status,
      app_id: cvm.appId,
      vcpu: cvm.vcpu,
      memory: cvm.memory,
      disk_size: cvm.diskSize,
      teepod_id: cvm.nodeId,
      teepod: node ? { id: node.id, name: node.name, region_identifier: node.region } : null,
      in_progress: v.inProgress,
      vm_uuid: cvm.vmUuid,
      instance_id: cvm.instanceId,
      base_image: cvm.image,
      encrypted_env_pubkey: cvm.encryptedEnvPubkey,
      listed: cvm.listed,
      project_id: `prj_${cvm.owner.toString(36).padStart(8, '0')}`,
      project_type: 'webdev',
      instance_type: cvm.instanceType,
      public_sysinfo: cf.public_sysinfo ?? true,
      public_logs: cf.public_logs ?? true,
      dapp_dashboard_url: `https://cloud.phala.com/dashboard/cvms/${cvm.vmUuid}`,
      syslog_endpoint: `https://syslog.phala.network/${cvm.vmUuid}`,
      kms_info: kmsInfoLegacy(cvm),
      contract_address: cvm.contractAddress ?? null,
      deployer_address: cvm.deployerAddress ?? null,
      scheduled_delete_at: null,
      public_urls: publicUrls,
      gateway_domain: `dstack-${node?.name ?? 'node'}.phala.network`,
      machine_info: { vcpu: cvm.vcpu, memory: cvm.memory, disk_size: cvm.diskSize },
      updated_at: new Date(cvm.timeline.since).toISOString(),
    };
  }
  const k = KMS_CATALOGUE[cvm.kms];
  return {
    id: idFor(cvm, version, false),
    name: cvm.name,
    app_id: cvm.appId,
    vm_uuid: cvm.vmUuid,
    instance_id: cvm.instanceId,
    resource: { instance_type: cvm.instanceType, vcpu: cvm.vcpu, memory_in_gb: cvm.memory / 1024, disk_in_gb: cvm.diskSize, gpus: 0, compute_billing_price: '0.058', billing_period: 'hourly' },
    node_info: node ? { id: node.id, name: node.name, region: node.region, device_id: node.deviceId, ppid: node.deviceId.slice(0, 32), status: 'online', version: '0.5.3' } : null,
    os: { name: cvm.image, version: '0.5.3', is_dev: cvm.image.includes('dev'), os_image_hash: sandboxOsImageHash(cvm.image) },
    kms_type: cvm.kms.toLowerCase(),
    kms_info: {
      chain_id: k.chain_id,
      dstack_kms_address: k.kms_contract_address,
      dstack_app_address: cvm.contractAddress ?? null,
      deployer_address: cvm.deployerAddress ?? null,
      rpc_endpoint: k.rpc_endpoint,
      encrypted_env_pubkey: cvm.encryptedEnvPubkey,
    },
    status: v.status,
    progress: v.inProgress ? { target: v.target, started_at: new Date(cvm.timeline.since).toISOString(), correlation_id: cvm.timeline.correlationId } : null,
    compose_hash: cvm.composeHash,
    gateway: { base_domain: `dstack-${node?.name ?? 'node'}.phala.network`, cname: null },
    services: [],
    endpoints: publicUrls,
    public_logs: cf.public_logs ?? true,
    public_sysinfo: cf.public_sysinfo ?? true,
    public_tcbinfo: cf.public_tcbinfo ?? false,
    gateway_enabled: cf.gateway_enabled ?? true,
    secure_time: cf.secure_time ?? false,
    listed: cvm.listed,
    storage_fs: cf.storage_fs ?? 'ext4',
    workspace: { id: `ws_${cvm.owner}`, name: `workspace-${cvm.owner}` },
    creator: { id: cvm.owner, username: `user${cvm.owner}` },
    compose_file: cf,
  };
}

/** A list item: the legacy `{hosted, …}` shape in 2025-10-28, the detail shape later. */
export function renderListItem(cvm: SandboxCvm, version: RenderVersion, ctx: RenderContext): Record<string, unknown> {
  if (version !== '2025-10-28') {
    const { compose_file: _omit, ...rest } = renderDetail(cvm, version, ctx);
    return rest;
  }
  const v = viewOf(cvm, ctx.clock);
  const node = ctx.node(cvm.nodeId);
  const detailView = renderDetail(cvm, version, ctx);
  return {
    hosted: {
      id: cvm.vmUuid,
      name: cvm.name,
      status: v.status,
      uptime: v.uptime ?? '',
      app_id: cvm.appId,
      app_url: appUrl(cvm, node),
      instance_id: cvm.instanceId,
      configuration: {
        name: cvm.name,
        image: cvm.image,
        vcpu: cvm.vcpu,
        memory: cvm.memory,
        disk_size: cvm.diskSize,
        compose_file: cvm.composeFile,
        ports: [],
        encrypted_env: cvm.encryptedEnv ?? '',
        app_id: cvm.appId,
        user_config: '',
        hugepages: false,
        pin_numa: false,
        gpus: { gpus: [], attach_mode: 'listed' },
        kms_urls: [KMS_CATALOGUE[cvm.kms].url],
        gateway_urls: [],
      },
      exited_at: v.exitedAt ?? '',
      boot_progress: v.bootProgress,
      boot_error: v.bootError ?? '',
      shutdown_progress: v.shutdownProgress ?? '',
      image_version: '0.5.3',
      events: [],
    },
    name: cvm.name,
    status: v.status,
    public_urls: detailView.public_urls,
    managed_user: { id: cvm.owner, username: `user${cvm.owner}` },
    node: node ? { id: node.id, name: node.name, region_identifier: node.region } : null,
    listed: cvm.listed,
    in_progress: v.inProgress,
    dapp_dashboard_url: detailView.dapp_dashboard_url,
    syslog_endpoint: detailView.syslog_endpoint,
    allow_upgrade: false,
    project_id: detailView.project_id,
    project_type: 'webdev',
    billing_period: 'hourly',
    kms_info: kmsInfoLegacy(cvm),
    contract_address: cvm.contractAddress ?? null,
    deployer_address: cvm.deployerAddress ?? null,
    vcpu: cvm.vcpu,
    memory: cvm.memory,
    disk_size: cvm.diskSize,
    gateway_domain: detailView.gateway_domain,
  };
}

/** CvmState, the `state` event payload. */
export function renderState(cvm: SandboxCvm, clock: SandboxClock): Record<string, unknown> {
  const v = viewOf(cvm, clock);
  return {
    id: cvm.vmUuid,
    instance_id: cvm.instanceId,
    name: cvm.name,
    status: v.status,
    uptime: v.uptime,
    exited_at: v.exitedAt,
    boot_progress: v.bootProgress,
    boot_error: v.bootError,
    shutdown_progress: v.shutdownProgress,
  };
}
