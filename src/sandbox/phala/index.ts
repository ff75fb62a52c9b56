// The Phala Cloud sandbox: an in-memory simulator of every CVM lifecycle endpoint in our docs, faithful to
// provider-notes/phala.md — X-API-Key or Bearer auth with FastAPI error bodies, X-Phala-Version-dependent shapes,
// two-phase provision/commit with idempotency, ERR-03-007 conflicts and expiring provisions (466), the on-chain
// KMS branch (465/467/468) against a simulated chain, env decryption with the app key, a timed power state
// machine with busy (409) locks and boot-failure injection, replicas, and the SSE state watch. Beyond the docs it
// serves both attestation endpoints (provider-notes/phala-attestation.md) with dstack evidence signed by a sandbox
// TDX chain made at run time, and attestation faults.
import { SandboxClock } from '../http/clock';
import { SandboxServer, type SandboxRequest, type SandboxResponse, type SseWriter } from '../http/server';
import { PHALA } from '../../providers/phala/endpoints';
import { PhalaErrorCodes } from '../../providers/phala/errors';
import { canonicalAppId, normalizeCvmId } from '../../providers/phala/identifiers';
import { composeHash } from '../../providers/phala/compose-hash';
import { decryptEnvVars, ENV_KEY_PATTERN, generateEnvKeyPair } from '../../providers/phala/encrypt-env';
import { ALREADY_REGISTERED, CommitCvmRequestSchema, PHALA_API_VERSIONS, ProvisionCvmRequestSchema, WatchQuerySchema, type KmsType } from '../../providers/phala/schemas';
import { classifyPhalaStatus, statusMatches, TX_HASH_PATTERN } from '../../contract/rules/phala';
import type { DcapCollateral } from '../../attestation/tdx/verify';
import {
  buildDstackEvidence,
  createSandboxKmsRoot,
  PHALA_ATTESTATION_FAULTS,
  renderAppCertificates,
  renderTcbInfo,
  sandboxOsImageHash,
  type AttestationFaultRule,
  type AttestedCvm,
  type PhalaAttestationFault,
} from './attestation';
import { bareHex, SimulatedChain, type RegisterOnChainInput, type RegisterOnChainResult } from './chain';
import { createSandboxTdxChain, sandboxTdxCollateralCachePath, type SandboxTdxChainOptions } from './tdx-chain';
import {
  DEFAULT_DURATIONS,
  DEFAULT_IMAGE,
  DEFAULT_NODES,
  INSTANCE_TYPES,
  KMS_CATALOGUE,
  newHashid,
  newHex,
  newUuid,
  renderDetail,
  renderListItem,
  renderState,
  renderVm,
  viewOf,
  type AppKey,
  type CvmView,
  type PendingProvision,
  type PhalaSandboxDurations,
  type PowerOp,
  type RenderContext,
  type RenderVersion,
  type SandboxCvm,
  type SandboxNode,
  type SandboxStatus,
  type Timeline,
} from './model';
import { busy, cvmNotFound, detail, structured, validation, zodValidation } from './responses';

export { DEFAULT_DURATIONS, DEFAULT_NODES, type PhalaSandboxDurations, type SandboxNode } from './model';
export { PHALA_ATTESTATION_FAULTS, type AttestationFaultRule, type PhalaAttestationFault } from './attestation';
export type { RegisterOnChainInput, RegisterOnChainResult } from './chain';

export const DEFAULT_PHALA_SANDBOX_KEY = 'sandbox-phala-key';
export const DEFAULT_PHALA_SANDBOX_OTHER_KEY = 'sandbox-phala-other-key';

export interface PhalaSandboxOptions {
  clock?: SandboxClock;
  /** The main user's API key (default `sandbox-phala-key`). */
  apiKey?: string;
  /** A second user's key, to exercise 403 on someone else's CVM (default `sandbox-phala-other-key`). */
  otherApiKey?: string;
  durations?: Partial<PhalaSandboxDurations>;
  nodes?: SandboxNode[];
  /** Simulated ms a provision stays committable (the backend keeps it in Redis; default 1 h). */
  provisionTtlMs?: number;
  /** The version answered when a request has no X-Phala-Version (default 2025-10-28, the legacy shapes). */
  defaultVersion?: RenderVersion;
  /** Dates and TCB status of the sandbox TDX chain (made when the sandbox is created). */
  tdxChain?: SandboxTdxChainOptions;
}

export interface BootFailure {
  /** Any identifier of the CVM whose next boot fails; omitted = the next boot of any CVM. */
  cvm?: string;
  bootError?: string;
}

export interface PhalaSandbox {
  server: SandboxServer;
  apiKey: string;
  otherApiKey: string;
  clock: SandboxClock;
  /** Internal record of a CVM (by any identifier), for assertions; undefined if none. Carries no env values. */
  cvm(ref: string): Readonly<SandboxCvm> | undefined;
  /** Current derived state of a CVM. */
  stateOf(ref: string): CvmView | undefined;
  /** Env keys the CVM accepted after decrypting its encrypted_env (never the values). */
  envKeysOf(ref: string): string[] | undefined;
  /** Whether the CVM's encrypted_env decrypted with the app key (undefined: no env was sent). */
  envDecrypted(ref: string): boolean | undefined;
  /** Keys that decrypted but were skipped (not in allowed_envs / invalid names). */
  skippedEnvKeysOf(ref: string): string[] | undefined;
  cvms(): ReadonlyArray<Readonly<SandboxCvm>>;
  pendingProvisions(): ReadonlyArray<Readonly<PendingProvision>>;
  /** Simulates the on-chain registration (DstackKms.deployAndRegisterApp / DstackApp.addComposeHash). */
  registerOnChain(input: RegisterOnChainInput): RegisterOnChainResult & { app_env_encrypt_pubkey: string };
  /** Makes the next boot (of one CVM or of any) fail: `starting` → `exited` with boot_error. */
  failNextBoot(failure?: BootFailure): void;
  /** The X25519 public key the simulated KMS uses for an app (hex), if known. */
  appEnvPubkey(appId: string): string | undefined;
  /** The X-Phala-Version each request carried (undefined when absent), in order. */
  versionsSeen(): Array<string | undefined>;
  /** PEM of the sandbox TDX root CA (NOT Intel) that signs every sandbox quote: trust it only for this sandbox. */
  sandboxTdxRootPem(): string;
  /** DCAP collateral for the sandbox chain (the sandbox plays Intel PCS for it); undefined during a collateral outage. */
  sandboxTdxCollateral(): DcapCollateral | undefined;
  /** Where a worker's collateral cache (CVMFLOW_COLLATERAL_DIR) holds the sandbox chain's collateral. */
  sandboxTdxCollateralCachePath(): string;
  /** Intel PCS down, as far as the sandbox chain goes: no collateral is served until it is turned off again. */
  setCollateralOutage(on: boolean): void;
  /** The simulated KMS root key (hex DER SPKI) every CVM's key-provider event names. */
  kmsRootKeyId(): string;
  /** Makes the attestation of one CVM (any identifier, or its name before it exists) or of every CVM wrong. */
  setAttestationFault(rule: AttestationFaultRule): void;
  clearAttestationFaults(): void;
}

interface Lookup {
  cvm?: SandboxCvm;
  error?: SandboxResponse;
}

export function createPhalaSandbox(opts: PhalaSandboxOptions = {}): PhalaSandbox {
  const clock = opts.clock ?? new SandboxClock();
  const apiKey = opts.apiKey ?? DEFAULT_PHALA_SANDBOX_KEY;
  const otherApiKey = opts.otherApiKey ?? DEFAULT_PHALA_SANDBOX_OTHER_KEY;
  const users = new Map<string, number>([
    [apiKey, 1],
    [otherApiKey, 2],
  ]);
  const durations: PhalaSandboxDurations = { ...DEFAULT_DURATIONS, ...opts.durations };
  const nodes = (opts.nodes ?? DEFAULT_NODES).map((n) => ({ ...n, images: [...n.images] }));
  const provisionTtlMs = opts.provisionTtlMs ?? 3_600_000;
  const defaultVersion = opts.defaultVersion ?? '2025-10-28';
  const chain = new SimulatedChain(clock);
  const tdxChain = createSandboxTdxChain(opts.tdxChain);
  const kmsRootId = createSandboxKmsRoot();
  const attestationFaults: AttestationFaultRule[] = [];

  const cvms: SandboxCvm[] = [];
  const pending: PendingProvision[] = [];
  const appKeys = new Map<string, AppKey>();
  const bootFailures: BootFailure[] = [];
  const versions: Array<string | undefined> = [];
  let nextDbId = 1001;
  let correlation = 0;

  const nodeById = (id: number) => nodes.find((n) => n.id === id);
  const ctx: RenderContext = { clock, node: nodeById };

  // ------------------------------------------------------------ helpers

  const header = (req: SandboxRequest, name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };

  const userOf = (req: SandboxRequest): number => {
    const key = header(req, 'x-api-key') ?? /^Bearer\s+(.+)$/i.exec(header(req, 'authorization') ?? '')?.[1]?.trim();
    return users.get(key ?? '') ?? 0;
  };

  const versionOf = (req: SandboxRequest): RenderVersion => (header(req, 'x-phala-version') as RenderVersion | undefined) ?? defaultVersion;

  const used = (nodeId: number, except?: SandboxCvm) =>
    cvms.filter((c) => c.nodeId === nodeId && c !== except).reduce((a, c) => ({ vcpu: a.vcpu + c.vcpu, memory: a.memory + c.memory, slots: a.slots + 1 }), { vcpu: 0, memory: 0, slots: 0 });

  const capacityError = (node: SandboxNode, vcpu: number, memory: number): SandboxResponse | undefined => {
    const u = used(node.id);
    const fail = (code: string, what: string, need: number, left: number) =>
      structured(400, { code, message: `Insufficient ${what} on node ${node.name}: requested ${need}, available ${left}`, details: [{ field: 'teepod_id', value: node.id }], suggestions: ['Choose another node or a smaller instance'] });
    if (u.slots + 1 > node.slots) return fail(PhalaErrorCodes.INSUFFICIENT_SLOTS, 'CVM slots', 1, node.slots - u.slots);
    if (u.vcpu + vcpu > node.vcpu) return fail(PhalaErrorCodes.INSUFFICIENT_VCPU, 'vCPU', vcpu, node.vcpu - u.vcpu);
    if (u.memory + memory > node.memory) return fail(PhalaErrorCodes.INSUFFICIENT_MEMORY, 'memory (MB)', memory, node.memory - u.memory);
    return undefined;
  };

  /** Candidates for a path identifier, in any owner's workspace. */
  const candidates = (raw: string): SandboxCvm[] => {
    const id = normalizeCvmId(raw);
    let m: RegExpExecArray | null;
    if (/^cvm_/.test(id)) return cvms.filter((c) => c.hashid === id);
    if (/^\d+$/.test(id)) return cvms.filter((c) => String(c.dbId) === id);
    if (/^[0-9a-f]{32}$/i.test(id)) return cvms.filter((c) => c.vmUuid.replace(/-/g, '') === id.toLowerCase());
    if ((m = /^app_(?:0x)?([0-9a-f]{40})$/i.exec(id))) return cvms.filter((c) => c.appId === m![1]!.toLowerCase());
    if ((m = /^instance_([0-9a-f]+)$/i.exec(id))) return cvms.filter((c) => c.instanceId === m![1]!.toLowerCase());
    return cvms.filter((c) => c.name === id);
  };

  const lookup = (req: SandboxRequest, raw: string): Lookup => {
    const user = userOf(req);
    const all = candidates(raw);
    const mine = all.filter((c) => c.owner === user);
    if (mine.length === 1) return { cvm: mine[0] };
    if (mine.length > 1) {
      return {
        error: structured(409, {
          code: PhalaErrorCodes.MULTIPLE_CVMS_SAME_NAME,
          message: `Multiple CVMs match this identifier: ${raw}`,
          details: mine.map((c) => ({ field: 'vm_uuid', value: c.vmUuid })),
          suggestions: ['Address the CVM by its vm_uuid or id (hashid) instead'],
        }),
      };
    }
    if (all.length > 0) return { error: structured(403, { code: PhalaErrorCodes.CVM_ACCESS_DENIED, message: 'You do not have access to this CVM', details: [{ field: 'cvm_id', value: raw }] }) };
    return { error: cvmNotFound(raw) };
  };

  const takeBootFailure = (cvm: SandboxCvm): string | undefined => {
    // By name too: at commit the new CVM boots before it joins the list candidates() searches.
    const i = bootFailures.findIndex((f) => f.cvm === undefined || f.cvm === cvm.name || candidates(f.cvm).includes(cvm));
    if (i < 0) return undefined;
    const [f] = bootFailures.splice(i, 1);
    return f!.bootError ?? 'dstack-prepare: failed to start containers (exit status 1)';
  };

  const timeline = (op: PowerOp, phases: Timeline['phases'], bootError?: string): Timeline => ({
    op,
    since: clock.now(),
    phases,
    correlationId: `corr_${(++correlation).toString(36)}_${newHex(4)}`,
    ...(bootError ? { bootError } : {}),
  });

  /** A boot (`starting` or `restarting` first); fails when injected or when the env did not decrypt. */
  const bootTimeline = (cvm: SandboxCvm, first: SandboxStatus, ms: number, op: PowerOp): Timeline => {
    const injected = takeBootFailure(cvm);
    const failure = injected ?? (cvm.envError ? `failed to decrypt env: ${cvm.envError}` : undefined);
    if (failure) return timeline(op, [{ state: first, ms: Math.round(ms / 2) }, { state: 'exited' }], failure);
    return timeline(op, [{ state: first, ms }, { state: 'running' }]);
  };

  const vm = (req: SandboxRequest, cvm: SandboxCvm, status = 200): SandboxResponse => ({ status, json: renderVm(cvm, versionOf(req), ctx) });

  // ------------------------------------------------------------ env

  const applyEnv = (cvm: SandboxCvm, encrypted: string | undefined, declared: string[] | undefined) => {
    cvm.encryptedEnv = encrypted;
    cvm.declaredEnvKeys = declared ?? [];
    cvm.envKeys = [];
    cvm.skippedEnvKeys = [];
    delete cvm.envError;
    if (!encrypted) return;
    const key = appKeys.get(cvm.appId);
    if (!key) {
      cvm.envError = 'no KMS key for this app';
      return;
    }
    try {
      const env = decryptEnvVars(encrypted, key.privateKey);
      const allowed = new Set((cvm.composeFile.allowed_envs as string[] | undefined) ?? []);
      for (const { key: k } of env) (ENV_KEY_PATTERN.test(k) && allowed.has(k) ? cvm.envKeys : cvm.skippedEnvKeys).push(k);
    } catch (err) {
      cvm.envError = (err as Error).message; // messages from decryptEnvVars never carry values
    }
  };

  // ------------------------------------------------------------ server

  const server = new SandboxServer({
    name: 'phala',
    basePath: '/api/v1',
    clock,
    notFound: () => detail(404, 'Not Found'),
    authenticate: (req) => {
      versions.push(header(req, 'x-phala-version'));
      if (versions.length > 1000) versions.splice(0, 100);
      const key = header(req, 'x-api-key');
      const bearer = header(req, 'authorization');
      // Phala's Trust Center reads an app's attestations without an API key (provider-notes/phala-attestation.md §1.B)
      if (!key && !bearer && req.method === 'GET' && /^\/apps\/[^/]+\/attestations$/.test(req.path)) return undefined;
      if (!key && !bearer) return detail(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
      if (!userOf(req)) return detail(401, 'Invalid API key', { 'www-authenticate': 'Bearer' });
      const version = header(req, 'x-phala-version');
      if (version !== undefined && !(PHALA_API_VERSIONS as readonly string[]).includes(version)) {
        return detail(400, `Unsupported API version: ${version}. Supported versions: ${PHALA_API_VERSIONS.join(', ')}`);
      }
      // The SSE route streams from its first byte, so its 404/422 answers are decided here, before it opens.
      if (req.method === 'GET' && /^\/cvms\/[^/]+\/state$/.test(req.path)) return watchPreflight(req);
      return undefined;
    },
    admin: {
      'phala/onchain': (req) => {
        if (req.method !== 'POST') return { status: 405, json: { error: 'POST {compose_hash, app_id?, device_id?, transaction_hash?, confirm_delay_ms?}' } };
        try {
          return { status: 200, json: registerOnChain((req.body ?? {}) as RegisterOnChainInput) };
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
      },
      'phala/fail-next-boot': (req) => {
        const b = (req.body ?? {}) as { cvm?: string; cvm_id?: string; boot_error?: string };
        failNextBoot({ cvm: b.cvm ?? b.cvm_id, bootError: b.boot_error });
        return { status: 200, json: { pending_boot_failures: bootFailures.length } };
      },
      'phala/attestation-fault': (req) => {
        if (req.method === 'DELETE') {
          attestationFaults.length = 0;
          return { status: 200, json: { attestation_faults: [] } };
        }
        if (req.method === 'POST') {
          const b = (req.body ?? {}) as { cvm?: unknown; fault?: unknown };
          if (!(PHALA_ATTESTATION_FAULTS as readonly unknown[]).includes(b.fault)) return { status: 400, json: { error: `fault must be one of ${PHALA_ATTESTATION_FAULTS.join(', ')}` } };
          if (b.cvm !== undefined && (typeof b.cvm !== 'string' || b.cvm === '')) return { status: 400, json: { error: 'cvm must be a CVM identifier or name' } };
          setAttestationFault({ cvm: b.cvm, fault: b.fault as PhalaAttestationFault });
        }
        return { status: 200, json: { attestation_faults: attestationFaults } };
      },
      'phala/collateral-outage': (req) => {
        if (req.method === 'POST') {
          const on = ((req.body ?? {}) as { on?: unknown }).on;
          if (typeof on !== 'boolean') return { status: 400, json: { error: 'on must be true (Intel PCS down for the sandbox chain) or false' } };
          collateralOutage = on;
        }
        return { status: 200, json: { collateral_outage: collateralOutage } };
      },
      // For a worker outside this process: trust root_pem (CVMFLOW_TRUST_SANDBOX_ROOT_FILE) and put the collateral at
      // cache_path under CVMFLOW_COLLATERAL_DIR, where the worker's collateral gatherer looks for this FMSPC
      'phala/tdx-root': () => ({ status: 200, json: { root_pem: tdxChain.root.pem, fmspc: tdxChain.fmspc, cache_path: sandboxTdxCollateralCachePath(tdxChain), collateral: tdxChain.collateral } }),
      'phala/cvms': () => ({
        status: 200,
        json: {
          cvms: cvms.map((c) => ({ id: c.hashid, name: c.name, owner: c.owner, app_id: c.appId, vm_uuid: c.vmUuid, node_id: c.nodeId, ...viewOf(c, clock), env_keys: c.envKeys, env_decrypted: c.encryptedEnv ? !c.envError : null })),
          pending_provisions: pending.map((p) => ({ app_id: p.appId, compose_hash: p.composeHash, name: p.name, kms: p.kms })),
        },
      }),
    },
  });

  // GET /cvms
  server.route(PHALA.listCvms, (req) => {
    const user = userOf(req);
    const version = versionOf(req);
    const num = (k: string) => (req.query.has(k) ? Number(req.query.get(k)) : undefined);
    const page = num('page');
    const pageSize = num('page_size');
    const nodeFilter = num('node_id') ?? num('teepod_id');
    for (const [k, v] of [['page', page], ['page_size', pageSize], ['node_id', nodeFilter]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < (k === 'node_id' ? 0 : 1) || (k === 'page_size' && v > 100))) {
        return validation([{ loc: ['query', k], msg: k === 'page_size' ? 'Input should be between 1 and 100' : 'Input should be a valid positive integer', type: 'int_parsing', input: req.query.get(k) }]);
      }
    }
    const mine = cvms.filter((c) => c.owner === user && (nodeFilter === undefined || c.nodeId === nodeFilter));
    const items = mine.map((c) => renderListItem(c, version, ctx));
    if (page === undefined && pageSize === undefined) return { status: 200, json: items };
    const size = pageSize ?? 20;
    const p = page ?? 1;
    return { status: 200, json: { items: items.slice((p - 1) * size, p * size), total: items.length, page: p, page_size: size, pages: Math.max(1, Math.ceil(items.length / size)) } };
  });

  // GET /cvms/{id}
  server.route(PHALA.getCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    return { status: 200, json: renderDetail(cvm, versionOf(req), ctx) };
  });

  // POST /cvms/provision
  server.route(PHALA.provisionCvm, (req) => {
    const parsed = ProvisionCvmRequestSchema.safeParse(req.body);
    if (!parsed.success) return zodValidation('body', parsed.error, req.body);
    const b = parsed.data;
    const user = userOf(req);
    // only committed CVMs count: a provision retried after a lost answer must not trip over its first attempt
    if (cvms.some((c) => c.owner === user && c.name === b.name)) {
      return structured(409, { code: PhalaErrorCodes.DUPLICATE_CVM_NAME, message: `A CVM named ${b.name} already exists in this workspace`, details: [{ field: 'name', value: b.name }], suggestions: ['Choose another name'] });
    }
    let vcpu = b.vcpu;
    let memory = b.memory;
    let instanceType = b.instance_type;
    if (instanceType !== undefined) {
      const t = INSTANCE_TYPES[instanceType];
      if (!t) return structured(400, { code: PhalaErrorCodes.INSTANCE_TYPE_NOT_FOUND, message: `Instance type not found: ${instanceType}`, details: [{ field: 'instance_type', value: instanceType }], suggestions: [`Use one of ${Object.keys(INSTANCE_TYPES).join(', ')}`] });
      vcpu ??= t.vcpu;
      memory ??= t.memory;
    } else if (vcpu === undefined && memory === undefined) instanceType = 'tdx.small';
    if (instanceType === 'tdx.small' && vcpu === undefined) ({ vcpu, memory } = INSTANCE_TYPES['tdx.small']!);
    vcpu ??= 1;
    memory ??= 2048;
    instanceType ??= Object.entries(INSTANCE_TYPES).find(([, t]) => t.vcpu >= vcpu! && t.memory >= memory!)?.[0] ?? 'custom';
    const kms: KmsType = b.kms ?? 'PHALA';
    const requestedNode = b.node_id ?? b.teepod_id;
    let node: SandboxNode | undefined;
    if (requestedNode !== undefined) {
      node = nodeById(requestedNode);
      if (!node) return structured(404, { code: PhalaErrorCodes.NODE_NOT_FOUND, message: `Node not found: ${requestedNode}`, details: [{ field: 'teepod_id', value: requestedNode }] });
    } else node = nodes.find((n) => !capacityError(n, vcpu!, memory!) && (kms === 'PHALA' || n.supportOnchainKms));
    if (!node) return structured(400, { code: PhalaErrorCodes.RESOURCE_NOT_AVAILABLE, message: 'No node has capacity for this CVM', suggestions: ['Try a smaller instance type or later'] });
    const image = b.image ?? DEFAULT_IMAGE;
    if (!node.images.includes(image)) return structured(400, { code: PhalaErrorCodes.IMAGE_NOT_FOUND, message: `Image ${image} is not available on node ${node.name}`, details: [{ field: 'image', value: image }], suggestions: [`Available: ${node.images.join(', ')}`] });
    if (kms !== 'PHALA' && !node.supportOnchainKms) return structured(400, { code: PhalaErrorCodes.INCOMPATIBLE_CONFIG, message: `Node ${node.name} does not support on-chain KMS`, details: [{ field: 'kms', value: kms }] });
    const cap = capacityError(node, vcpu, memory);
    if (cap) return cap;

    const appCompose: Record<string, unknown> = {
      manifest_version: 2,
      name: b.name,
      runner: 'docker-compose',
      features: ['kms', 'tproxy-net'],
      kms_enabled: true,
      gateway_enabled: true,
      public_logs: true,
      public_sysinfo: true,
      // dstack blanks tcb_info unless the app-compose asks for it (provider-notes/phala-attestation.md §1)
      public_tcbinfo: false,
      local_key_provider_enabled: false,
      no_instance_id: false,
      secure_time: false,
      allowed_envs: [],
      ...b.compose_file,
    };
    const hash = composeHash(appCompose);
    let appId: string | null = null;
    let pubkey: string | null = null;
    if (kms === 'PHALA') {
      if (b.app_id !== undefined) {
        const custom = canonicalAppId(b.app_id);
        if (!custom || b.nonce === undefined) return validation([{ loc: ['body', 'app_id'], msg: 'a custom app_id needs its nonce (GET /kms/phala/next_app_id)', input: b.app_id }]);
        if (cvms.some((c) => c.appId === custom)) return structured(409, { code: PhalaErrorCodes.CVM_APP_ID_CONFLICT, message: `App id ${custom} is already in use`, details: [{ field: 'app_id', value: custom }] });
        appId = custom;
      } else appId = newHex(20);
      const key = appKeys.get(appId) ?? (() => {
        const k = generateEnvKeyPair();
        const entry = { privateKey: k.privateKey, publicKeyHex: k.publicKeyHex };
        appKeys.set(appId!, entry);
        return entry;
      })();
      pubkey = key.publicKeyHex;
    }
    pending.push({ owner: user, appId, composeHash: hash, composeFile: appCompose, name: b.name, vcpu, memory, diskSize: b.disk_size ?? 20, instanceType, nodeId: node.id, image, kms, envKeys: b.env_keys ?? [], listed: b.listed ?? false, createdAt: clock.now() });
    const k = KMS_CATALOGUE[kms];
    return {
      status: 200,
      json: {
        app_id: appId,
        app_env_encrypt_pubkey: pubkey,
        compose_hash: hash,
        fmspc: node.fmspc,
        device_id: node.deviceId,
        os_image_hash: sandboxOsImageHash(image),
        instance_type: instanceType,
        teepod_id: node.id,
        kms_id: k.id,
        kms_info: { id: k.id, slug: k.slug, url: k.url, version: k.version, chain_id: k.chain_id, kms_contract_address: k.kms_contract_address, gateway_app_id: k.gateway_app_id },
      },
    };
  });

  const expired = (p: PendingProvision) => clock.elapsedSince(p.createdAt) > provisionTtlMs;

  // POST /cvms (commit)
  server.route(PHALA.commitCvm, (req) => {
    const parsed = CommitCvmRequestSchema.safeParse(req.body);
    if (!parsed.success) return zodValidation('body', parsed.error, req.body);
    const b = parsed.data;
    const user = userOf(req);
    const hash = bareHex(b.compose_hash);
    const appId = canonicalAppId(b.app_id);
    if (!appId) return validation([{ loc: ['body', 'app_id'], msg: 'app_id must be 40 hex characters (optionally 0x / app_ prefixed)', input: b.app_id }]);

    // Idempotency: the same app_id + compose_hash returns the existing CVM; another compose_hash conflicts.
    const existing = cvms.filter((c) => c.appId === appId && !c.replicaOf);
    if (existing.length > 0) {
      const same = existing.find((c) => c.composeHash === hash);
      if (same) return same.owner === user ? vmCommitted(req, same) : structured(403, { code: PhalaErrorCodes.CVM_ACCESS_DENIED, message: 'You do not have access to this CVM' });
      return structured(409, {
        code: PhalaErrorCodes.CVM_APP_ID_CONFLICT,
        message: `A CVM with app_id ${appId} already exists with a different compose hash`,
        details: [{ field: 'app_id', value: appId }, { field: 'compose_hash', value: hash }],
        suggestions: ['Update the existing CVM instead, or provision a new app'],
      });
    }

    const idx = pending.findIndex((p) => p.owner === user && p.composeHash === hash && (p.appId === appId || p.appId === null));
    const p = idx >= 0 ? pending[idx] : undefined;
    if (!p || expired(p)) {
      if (p) pending.splice(idx, 1);
      return {
        status: 466,
        json: {
          detail: {
            error_code: PhalaErrorCodes.HASH_INVALID_OR_EXPIRED,
            message: 'Compose hash is invalid or the provision has expired. Please provision again.',
            details: [{ field: 'compose_hash', value: hash }],
            suggestions: ['Call POST /cvms/provision again and commit the new compose_hash'],
            links: [],
          },
        },
      };
    }

    let contractAddress: string | undefined;
    let deployerAddress: string | undefined;
    if (p.kms !== 'PHALA') {
      const node = nodeById(p.nodeId)!;
      const issues: Array<{ loc: string[]; msg: string; type: string; input: unknown }> = [];
      if (!b.contract_address) issues.push({ loc: ['body', 'contract_address'], msg: 'Field required for on-chain KMS', type: 'missing', input: null });
      if (!b.deployer_address) issues.push({ loc: ['body', 'deployer_address'], msg: 'Field required for on-chain KMS', type: 'missing', input: null });
      if (b.transaction_hash !== undefined && b.transaction_hash !== ALREADY_REGISTERED && !TX_HASH_PATTERN.test(b.transaction_hash)) issues.push({ loc: ['body', 'transaction_hash'], msg: 'must be 0x + 64 hex', type: 'value_error', input: b.transaction_hash });
      if (issues.length) return validation(issues);
      if (canonicalAppId(b.contract_address) !== appId) return structured(400, { code: PhalaErrorCodes.INVALID_REQUEST, message: 'contract_address must be the app id (DstackApp address) for on-chain KMS', details: [{ field: 'contract_address', value: b.contract_address }] });
      const onchain = chain.status(appId, hash, node.deviceId);
      const tx = b.transaction_hash && b.transaction_hash !== ALREADY_REGISTERED ? b.transaction_hash : undefined;
      if (tx) {
        const seen = chain.visibleTx(tx);
        if (!seen || seen.appId !== appId) {
          return structured(467, { code: PhalaErrorCodes.TX_VERIFICATION_FAILED, message: seen ? 'The transaction does not belong to this app' : 'Transaction not found or not yet confirmed', details: [{ field: 'transaction_hash', value: tx }], suggestions: ['Wait for the transaction to confirm, then retry the commit'] });
        }
        if (!onchain.compose_hash_allowed) return structured(468, { code: PhalaErrorCodes.HASH_NOT_ALLOWED, message: 'Compose hash not found on-chain for this app', details: [{ field: 'compose_hash', value: hash }], suggestions: ['Register the compose hash with DstackApp.addComposeHash'] });
      }
      if (!onchain.is_allowed) {
        const k = KMS_CATALOGUE[p.kms];
        return structured(465, {
          code: PhalaErrorCodes.HASH_REGISTRATION_REQUIRED,
          message: 'On-chain registration required: the compose hash and/or device are not allowed by the app contract',
          details: [{ compose_hash: hash, app_id: `0x${appId}`, device_id: node.deviceId, kms_info: { id: k.id, slug: k.slug, chain_id: k.chain_id, kms_contract_address: k.kms_contract_address }, onchain_status: { compose_hash_allowed: onchain.compose_hash_allowed, device_id_allowed: onchain.device_id_allowed, is_allowed: onchain.is_allowed } }],
          suggestions: ['Deploy/register the app with DstackKms.deployAndRegisterApp or DstackApp.addComposeHash, then commit again'],
        });
      }
      contractAddress = `0x${appId}`;
      deployerAddress = b.deployer_address!.toLowerCase();
    }

    if (cvms.some((c) => c.owner === user && c.name === p.name)) {
      return structured(409, { code: PhalaErrorCodes.DUPLICATE_CVM_NAME, message: `A CVM named ${p.name} already exists in this workspace`, details: [{ field: 'name', value: p.name }] });
    }
    const node = nodeById(p.nodeId)!;
    const cap = capacityError(node, p.vcpu, p.memory);
    if (cap) return cap;
    pending.splice(idx, 1);
    const cvm: SandboxCvm = {
      dbId: nextDbId++,
      hashid: newHashid('cvm'),
      name: p.name,
      owner: user,
      appId,
      vmUuid: newUuid(),
      instanceId: newHex(20),
      nodeId: p.nodeId,
      image: p.image,
      vcpu: p.vcpu,
      memory: p.memory,
      diskSize: p.diskSize,
      instanceType: p.instanceType,
      composeFile: p.composeFile,
      composeHash: hash,
      kms: p.kms,
      encryptedEnvPubkey: appKeys.get(appId)?.publicKeyHex ?? '',
      envKeys: [],
      skippedEnvKeys: [],
      declaredEnvKeys: [],
      ...(contractAddress ? { contractAddress, deployerAddress } : {}),
      listed: p.listed,
      createdAt: clock.now(),
      timeline: timeline('idle', [{ state: 'stopped' }]),
    };
    applyEnv(cvm, b.encrypted_env, b.env_keys ?? p.envKeys);
    cvm.timeline = bootTimeline(cvm, 'starting', durations.bootMs, 'boot');
    cvms.push(cvm);
    return vmCommitted(req, cvm);
  });

  const vmCommitted = (req: SandboxRequest, cvm: SandboxCvm): SandboxResponse => ({
    status: 200,
    json: { ...renderVm(cvm, versionOf(req), ctx), app_auth_contract_address: cvm.contractAddress ?? null, deployer_address: cvm.deployerAddress ?? null },
  });

  // power operations
  server.route(PHALA.startCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    const v = viewOf(cvm, clock);
    if (v.inProgress) return v.target === 'running' ? vm(req, cvm) : busy(v.status);
    if (v.status === 'running') return vm(req, cvm); // already running: nothing to do
    cvm.timeline = bootTimeline(cvm, 'starting', durations.bootMs, 'boot'); // a stopped CVM keeps its reservation
    return vm(req, cvm);
  });

  server.route(PHALA.stopCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    const v = viewOf(cvm, clock);
    if ((v.status === 'stopped' && !v.inProgress) || (v.inProgress && cvm.timeline.op === 'stop')) return vm(req, cvm);
    // a forced stop pulls the plug, whatever is in flight
    cvm.timeline = timeline('stop', [{ state: 'stopping', ms: durations.stopMs }, { state: 'stopped' }]);
    return vm(req, cvm);
  });

  server.route(PHALA.shutdownCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    const v = viewOf(cvm, clock);
    if ((v.status === 'stopped' && !v.inProgress) || (v.inProgress && v.target === 'stopped')) return vm(req, cvm);
    if (v.inProgress) return busy(v.status);
    cvm.timeline = timeline('shutdown', [{ state: 'stopping', ms: v.status === 'exited' ? 1_000 : durations.shutdownMs }, { state: 'stopped' }]);
    return vm(req, cvm);
  });

  server.route(PHALA.restartCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    const body = (req.body ?? {}) as { force?: unknown };
    if (body.force !== undefined && typeof body.force !== 'boolean') return validation([{ loc: ['body', 'force'], msg: 'Input should be a valid boolean', type: 'bool_parsing', input: body.force }]);
    const v = viewOf(cvm, clock);
    if (v.inProgress && !body.force) return busy(v.status);
    cvm.timeline = bootTimeline(cvm, 'restarting', body.force ? Math.round(durations.restartMs / 2) : durations.restartMs, 'restart');
    return vm(req, cvm);
  });

  // DELETE /cvms/{id}
  server.route(PHALA.deleteCvm, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    cvms.splice(cvms.indexOf(cvm), 1); // the app key stays with the KMS
    return { status: 204 };
  });

  // POST /cvms/{id}/replicas
  server.route(PHALA.replicateCvm, (req) => {
    const { cvm: src, error } = lookup(req, req.params.id!);
    if (!src) return error!;
    const body = (req.body ?? {}) as { node_id?: unknown };
    if (body.node_id !== undefined && (typeof body.node_id !== 'number' || !Number.isInteger(body.node_id) || body.node_id < 0)) {
      return validation([{ loc: ['body', 'node_id'], msg: 'Input should be a valid integer', type: 'int_parsing', input: body.node_id }]);
    }
    const node = body.node_id !== undefined ? nodeById(body.node_id) : nodeById(src.nodeId);
    if (!node) return structured(404, { code: PhalaErrorCodes.NODE_NOT_FOUND, message: `Node not found: ${String(body.node_id)}`, details: [{ field: 'node_id', value: body.node_id }] });
    if (!node.images.includes(src.image)) return structured(400, { code: PhalaErrorCodes.REPLICA_IMAGE_NOT_AVAILABLE, message: `Image ${src.image} is not available on node ${node.name}`, details: [{ field: 'node_id', value: node.id }] });
    if (src.kms !== 'PHALA') {
      if (!node.supportOnchainKms) return structured(400, { code: PhalaErrorCodes.INCOMPATIBLE_CONFIG, message: `Node ${node.name} does not support on-chain KMS` });
      const onchain = chain.status(src.appId, src.composeHash, node.deviceId);
      if (!onchain.is_allowed) {
        return structured(465, {
          code: PhalaErrorCodes.HASH_REGISTRATION_REQUIRED,
          message: 'On-chain registration required: the target node device is not allowed by the app contract',
          details: [{ compose_hash: src.composeHash, app_id: `0x${src.appId}`, device_id: node.deviceId, onchain_status: { compose_hash_allowed: onchain.compose_hash_allowed, device_id_allowed: onchain.device_id_allowed, is_allowed: false } }],
          suggestions: ['Add the device with DstackApp.addDevice, then retry'],
        });
      }
    }
    const cap = capacityError(node, src.vcpu, src.memory);
    if (cap) return cap;
    const replica: SandboxCvm = {
      ...src,
      dbId: nextDbId++,
      hashid: newHashid('cvm'),
      vmUuid: newUuid(),
      instanceId: newHex(20),
      nodeId: node.id,
      envKeys: [...src.envKeys],
      skippedEnvKeys: [...src.skippedEnvKeys],
      declaredEnvKeys: [...src.declaredEnvKeys],
      createdAt: clock.now(),
      replicaOf: src.vmUuid,
      timeline: timeline('idle', [{ state: 'stopped' }]),
    };
    replica.timeline = bootTimeline(replica, 'starting', durations.bootMs, 'boot');
    cvms.push(replica);
    return vm(req, replica);
  });

  // GET /cvms/{id}/state (SSE)
  function watchPreflight(req: SandboxRequest): SandboxResponse | undefined {
    const num = (k: string) => (req.query.has(k) ? Number(req.query.get(k)) : undefined);
    const raw = { target: req.query.get('target') ?? undefined, interval: num('interval'), timeout: num('timeout') };
    const parsed = WatchQuerySchema.safeParse(raw);
    if (!parsed.success) return zodValidation('query', parsed.error, raw);
    const id = decodeURIComponent(req.path.split('/')[2]!);
    return lookup(req, id).error;
  }

  server.sseRoute(PHALA.watchCvmState, (req: SandboxRequest, sse: SseWriter) => {
    const q = WatchQuerySchema.parse({ target: req.query.get('target'), interval: req.query.has('interval') ? Number(req.query.get('interval')) : undefined, timeout: req.query.has('timeout') ? Number(req.query.get('timeout')) : undefined });
    const first = lookup(req, req.params.id!).cvm!;
    const started = clock.now();
    let timer: NodeJS.Timeout | undefined;
    sse.onClose(() => clearTimeout(timer));
    const elapsedS = () => Math.round(clock.elapsedSince(started) / 100) / 10;
    const tick = () => {
      if (sse.closed) return;
      if (!cvms.includes(first)) {
        sse.send('error', { error: 'CVM not found', elapsed: elapsedS(), message: 'The CVM was deleted while watching' });
        sse.close();
        return;
      }
      const state = renderState(first, clock);
      if (!sse.send('state', state)) return;
      const v = viewOf(first, clock);
      if (statusMatches(v.status, q.target) && !v.inProgress) {
        sse.send('complete', { status: v.status, elapsed: elapsedS(), target: q.target });
        sse.close();
        return;
      }
      if (classifyPhalaStatus({ status: v.status, inProgress: v.inProgress, bootError: v.bootError }) === 'failed') {
        sse.send('error', { error: 'CVM failed', elapsed: elapsedS(), message: v.bootError ?? `CVM is ${v.status}` });
        sse.close();
        return;
      }
      const left = q.timeout * 1000 - clock.elapsedSince(started);
      if (left <= 0) {
        sse.send('timeout', { error: `Timeout waiting for CVM to reach ${q.target}`, elapsed: elapsedS(), target: q.target });
        sse.close();
        return;
      }
      timer = setTimeout(tick, Math.max(2, clock.real(Math.min(q.interval * 1000, left))));
    };
    tick();
  });

  // ------------------------------------------------------------ attestation (beyond the docs)

  let collateralOutage = false;
  const attestationFault = (cvm: SandboxCvm): PhalaAttestationFault | undefined =>
    attestationFaults.find((r) => r.cvm === undefined || r.cvm === cvm.name || candidates(r.cvm).includes(cvm))?.fault;

  const attested = (cvm: SandboxCvm): AttestedCvm => ({
    name: cvm.name,
    appId: cvm.appId,
    vmUuid: cvm.vmUuid,
    instanceId: cvm.instanceId,
    composeFile: cvm.composeFile,
    composeHash: cvm.composeHash,
    image: cvm.image,
    vcpu: cvm.vcpu,
    memory: cvm.memory,
  });

  /** Evidence exists only while the CVM runs (and the offline fault hides it). */
  const evidenceOf = (cvm: SandboxCvm) => {
    const v = viewOf(cvm, clock);
    const fault = attestationFault(cvm);
    if (fault === 'offline' || v.status !== 'running' || v.inProgress) return { status: v.status, evidence: undefined };
    return { status: v.status, evidence: buildDstackEvidence(tdxChain, attested(cvm), kmsRootId, fault) };
  };

  // GET /cvms/{id}/attestation: a stopped CVM answers 200 with is_online false and nulls (the CLI prints "Offline")
  server.route(PHALA.getCvmAttestation, (req) => {
    const { cvm, error } = lookup(req, req.params.id!);
    if (!cvm) return error!;
    const { status, evidence } = evidenceOf(cvm);
    if (!evidence) return { status: 200, json: { name: cvm.name, is_online: false, is_public: true, error: `CVM is not running (status: ${status})`, compose_file: null, app_certificates: null, tcb_info: null } };
    return {
      status: 200,
      json: {
        name: cvm.name,
        is_online: true,
        is_public: true,
        error: null,
        compose_file: (cvm.composeFile.docker_compose_file as string | undefined) ?? null,
        app_certificates: renderAppCertificates(attested(cvm), evidence, cvm.timeline.since),
        tcb_info: renderTcbInfo(attested(cvm), evidence),
      },
    };
  });

  // GET /apps/{app_id}/attestations: every instance, public; an unknown app is a 500, as Phala answers it
  server.route(PHALA.getAppAttestations, (req) => {
    const appId = canonicalAppId(req.params.app_id);
    const instances = appId ? cvms.filter((c) => c.appId === appId) : [];
    if (instances.length === 0) return { status: 500, json: { detail: 'App not found or currently down' } };
    const first = instances[0]!;
    const k = KMS_CATALOGUE[first.kms];
    return {
      status: 200,
      json: {
        app_id: appId,
        contract_address: first.contractAddress ?? null,
        kms_info: { contract_address: k.kms_contract_address, chain_id: k.chain_id, version: k.version, url: k.url, gateway_app_id: k.gateway_app_id, gateway_app_url: `https://gateway.${k.slug}.phala.network`, kms_type: first.kms.toLowerCase() },
        instances: instances.map((cvm) => {
          const { status, evidence } = evidenceOf(cvm);
          const node = nodeById(cvm.nodeId);
          const platform = { ppid: node?.deviceId.slice(0, 32) ?? null, ppid_sha256: node?.deviceId ?? null, device_id: node?.deviceId ?? null, fmspc: tdxChain.fmspc, tee_tcb_svn: tdxChain.teeTcbSvn.toString('hex'), cpusvn: tdxChain.cpuSvn.toString('hex'), pcesvn: tdxChain.pceSvn };
          const common = { vm_uuid: cvm.vmUuid, name: cvm.name, instance_id: cvm.instanceId, status, ...platform };
          if (!evidence) return { ...common, image_version: null, quote: null, eventlog: null, tcb_info: null, app_certificates: null, compose_file: null, error: `CVM is not running (status: ${status})` };
          return {
            ...common,
            image_version: cvm.image,
            quote: evidence.quote.toString('hex'),
            tcb_info: renderTcbInfo(attested(cvm), evidence),
            app_certificates: renderAppCertificates(attested(cvm), evidence, cvm.timeline.since),
            compose_file: (cvm.composeFile.docker_compose_file as string | undefined) ?? null,
            error: null,
          };
        }),
        kms_guest_agent_info: null,
        gateway_guest_agent_info: null,
        qemu_version: '9.2.1',
      },
    };
  });

  function setAttestationFault(rule: AttestationFaultRule): void {
    if (!(PHALA_ATTESTATION_FAULTS as readonly string[]).includes(rule.fault)) throw new TypeError(`fault must be one of ${PHALA_ATTESTATION_FAULTS.join(', ')}`);
    attestationFaults.unshift({ ...rule });
  }

  // ------------------------------------------------------------ programmatic helpers

  function registerOnChain(input: RegisterOnChainInput): RegisterOnChainResult & { app_env_encrypt_pubkey: string } {
    const result = chain.register(input);
    const appId = bareHex(result.app_id);
    let key = appKeys.get(appId);
    if (!key) {
      const k = generateEnvKeyPair();
      key = { privateKey: k.privateKey, publicKeyHex: k.publicKeyHex };
      appKeys.set(appId, key);
    }
    return { ...result, app_env_encrypt_pubkey: key.publicKeyHex };
  }

  function failNextBoot(failure: BootFailure = {}): void {
    bootFailures.push({ ...failure });
  }

  const one = (ref: string): SandboxCvm | undefined => candidates(ref)[0];

  return {
    server,
    apiKey,
    otherApiKey,
    clock,
    cvm: one,
    stateOf: (ref) => {
      const c = one(ref);
      return c ? viewOf(c, clock) : undefined;
    },
    envKeysOf: (ref) => one(ref)?.envKeys.slice(),
    envDecrypted: (ref) => {
      const c = one(ref);
      return c?.encryptedEnv ? !c.envError : undefined;
    },
    skippedEnvKeysOf: (ref) => one(ref)?.skippedEnvKeys.slice(),
    cvms: () => cvms,
    pendingProvisions: () => pending,
    registerOnChain,
    failNextBoot,
    appEnvPubkey: (appId) => appKeys.get(bareHex(appId).replace(/^app_/, ''))?.publicKeyHex,
    versionsSeen: () => versions.slice(),
    sandboxTdxRootPem: () => tdxChain.root.pem,
    sandboxTdxCollateral: () => (collateralOutage ? undefined : tdxChain.collateral),
    sandboxTdxCollateralCachePath: () => sandboxTdxCollateralCachePath(tdxChain),
    setCollateralOutage: (on) => {
      collateralOutage = on;
    },
    kmsRootKeyId: () => kmsRootId,
    setAttestationFault,
    clearAttestationFaults: () => {
      attestationFaults.length = 0;
    },
  };
}
