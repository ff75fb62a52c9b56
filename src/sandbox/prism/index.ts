// Ultraviolet Prism simulator: every documented CVM endpoint, in memory per workspace (domain), with Bearer auth,
// SuperMQ-style error bodies, CVMs that move Creating → Starting → Online at the clock's speed, evidence only once
// online, soft delete (status Inactive, deleted_at set), heartbeats for /statistics, and helpers that break things.
import { randomUUID } from 'node:crypto';
import { prismEndpoint } from '../../providers/prism/endpoints';
import { normalizeCcPlatform, normalizeProvider, PRISM_AGENT_LOG_LEVELS, type PrismCcPlatform, type PrismProvider } from '../../providers/prism/schemas';
import { GO_ZERO_TIME } from '../../contract/rules/prism';
import { SandboxClock, phaseAt } from '../http/clock';
import { SandboxServer, type SandboxRequest, type SandboxResponse } from '../http/server';
import {
  createDefaultEvidenceIssuer,
  DEFAULT_TAMPER_OFFSET,
  policyJson,
  SNP_SIGNED_END,
  sandboxAgentCertPem,
  sandboxReportData,
  type IssueEvidence,
  type SandboxEvidence,
} from './evidence';

export { sandboxAgentCertPem, sandboxReportData, placeholderEvidence, PLACEHOLDER_MAGIC } from './evidence';
export type { IssueEvidence, SandboxEvidence, SandboxCvmIdentity } from './evidence';

export const PRISM_SANDBOX_TOKEN = 'sandbox-prism-token';
export const PRISM_SANDBOX_DOMAIN_ID = 'c1adf32a-3dac-4aad-bead-ae96fe071239';

/** Statuses the sandbox produces (Prism docs: Creating, Starting, Online, Offline; Inactive after delete; Cocos: Failed). */
export type PrismSandboxStatus = 'Creating' | 'Starting' | 'Online' | 'Offline' | 'Failed' | 'Inactive';
export type BootFailureStatus = 'Failed' | 'Offline';

export interface PrismSandboxTimings {
  /** Simulated ms in Creating (default 20 s). */
  creatingMs?: number;
  /** Simulated ms in Starting before Online (default 40 s: ~60 s in all, like a real CVM boot). */
  startingMs?: number;
  /** Simulated ms between two /statistics heartbeats (default 60 s). */
  statsIntervalMs?: number;
}

export interface PrismSandboxOptions {
  clock?: SandboxClock;
  /** The token that may use `domainId` (default `sandbox-prism-token`). */
  token?: string;
  domainId?: string;
  /** More tokens and the domains each may use (a known token on another domain answers 403). */
  tokens?: Record<string, string[]>;
  timings?: PrismSandboxTimings;
  /** Reject a second live CVM with the same name (409). Off by default: Prism is not known to enforce unique names. */
  uniqueNames?: boolean;
  /** Where evidence comes from; default: the sandbox AMD issuer if present, else a labelled placeholder. */
  issueEvidence?: IssueEvidence;
  /** Extra options for the default issuer (measurement, hostData, chipId, policy, vmpl). */
  evidenceOptions?: Record<string, unknown>;
}

/** What a CVM is given at create, as the sandbox keeps it and shows it. */
interface CvmIdentity {
  id: string;
  domainId: string;
  name: string;
  provider: PrismProvider;
  vcpus: number;
  ccPlatform: PrismCcPlatform;
}

interface CvmRecord extends CvmIdentity {
  agentLogLevel: string;
  createdAt: number;
  /** Creation order, which breaks ties between CVMs created in the same millisecond. */
  seq: number;
  deletedAt?: number;
  offlineAt?: number;
  bootFailure?: BootFailureStatus;
  evidence?: Promise<SandboxEvidence>;
  tamperedAttestation?: Buffer;
  policyOverride?: Buffer;
  /** The platform its evidence is issued for, when a test made it differ from `ccPlatform`. */
  evidencePlatform?: PrismCcPlatform;
}

export interface PrismSandboxCvm extends CvmIdentity {
  status: PrismSandboxStatus;
  createdAt: string;
  deletedAt?: string;
  bootFailure?: BootFailureStatus;
  evidenceIssued: boolean;
  tampered: boolean;
  policyOverridden: boolean;
}

export interface FailBootTarget {
  id?: string;
  /** Every live CVM of this name (in any domain). */
  name?: string;
  /** The next CVM created. */
  next?: boolean;
}

export interface PrismSandbox {
  server: SandboxServer;
  token: string;
  domainId: string;
  /** Inspection: the CVMs of a domain (default: every domain), newest first. */
  cvms(domainId?: string): PrismSandboxCvm[];
  cvm(id: string): PrismSandboxCvm | undefined;
  /** Make a CVM fail to boot: it goes Creating → Starting → `status` (default Failed) and never gets evidence. */
  failBoot(target: FailBootTarget, status?: BootFailureStatus): number;
  /** An online CVM's agent disconnects: status Offline from now on, heartbeats false. */
  disconnect(id: string): void;
  /** The next CVM created reports `ccPlatform` as asked, but its agent's evidence is of `platform` (a provider that
   *  placed it on other hardware, or lies about it). */
  issueEvidenceAs(platform: PrismCcPlatform): void;
  /** Flip a byte of the CVM's evidence (default in the SNP signed range, REPORT_ID) so signature checks fail. */
  tamperEvidence(id: string, offset?: number): Promise<void>;
  /** Serve this policy (object → JSON, Buffer → raw bytes) from attestation_policy; undefined restores the issued one. */
  setPolicyOverride(id: string, policy: object | Buffer | undefined): void;
  /** PEM of the sandbox AMD root, once the issuer has provided one. */
  sandboxRootPem(): string | undefined;
  /** The stand-in agent cert PEM and the REPORT_DATA (SHA-512 of it) the CVM's evidence is bound to. */
  agentCertPem(id: string): string;
  expectedReportData(id: string): Buffer;
  /** Let a token use some domains (tests of 403). */
  grantToken(token: string, domains: string[]): void;
  close(): Promise<void>;
}

const DEFAULTS = { creatingMs: 20_000, startingMs: 40_000, statsIntervalMs: 60_000 };
const MAX_STATS = 1000;
const DAY_MS = 86_400_000;

// SuperMQ-style bodies: `message` says what failed, `error` the cause ("" when none).
function fail(status: number, message: string, cause = ''): SandboxResponse {
  return { status, json: { error: cause, message } };
}
const badRequest = (cause: string) => fail(400, 'malformed entity specification', cause);
const notFound = () => fail(404, 'entity not found');

function intParam(raw: string | null, { min, max }: { min: number; max: number }): number | undefined | null {
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n >= min && n <= max ? n : null;
}

export function createPrismSandbox(opts: PrismSandboxOptions = {}): PrismSandbox {
  const clock = opts.clock ?? new SandboxClock();
  const token = opts.token ?? PRISM_SANDBOX_TOKEN;
  const domainId = opts.domainId ?? PRISM_SANDBOX_DOMAIN_ID;
  const t = { ...DEFAULTS, ...opts.timings };
  const access = new Map<string, Set<string>>([[token, new Set([domainId])]]);
  for (const [tok, domains] of Object.entries(opts.tokens ?? {})) access.set(tok, new Set([...(access.get(tok) ?? []), ...domains]));
  const issue = opts.issueEvidence ?? createDefaultEvidenceIssuer({ evidenceOptions: opts.evidenceOptions });
  const records = new Map<string, CvmRecord>();
  const failNext: BootFailureStatus[] = [];
  const evidenceAsNext: PrismCcPlatform[] = [];
  let rootPem: string | undefined;

  const phases = (rec: CvmRecord) =>
    [
      { state: 'Creating' as const, ms: t.creatingMs },
      { state: 'Starting' as const, ms: t.startingMs },
      { state: rec.bootFailure ?? ('Online' as const) },
    ] as const;

  /** Status at a real instant (default now): simulated time since creation, scaled by the clock. */
  function statusAt(rec: CvmRecord, at = clock.now()): PrismSandboxStatus {
    if (rec.deletedAt !== undefined && rec.deletedAt <= at) return 'Inactive';
    const elapsed = clock.elapsedSince(rec.createdAt) - clock.elapsedSince(at);
    const s = phaseAt(phases(rec), elapsed);
    if (s === 'Online' && rec.offlineAt !== undefined && rec.offlineAt <= at) return 'Offline';
    return s;
  }

  /** The agent pushes evidence once it connects (Online); Prism keeps it after the CVM goes offline or is deleted. */
  function reachedOnline(rec: CvmRecord): boolean {
    if (rec.bootFailure) return false;
    const until = Math.min(clock.now(), rec.deletedAt ?? Infinity);
    return clock.elapsedSince(rec.createdAt) - clock.elapsedSince(until) >= t.creatingMs + t.startingMs;
  }

  function evidenceOf(rec: CvmRecord): Promise<SandboxEvidence> {
    rec.evidence ??= Promise.resolve()
      .then(() => issue({ id: rec.id, name: rec.name, ccPlatform: rec.evidencePlatform ?? rec.ccPlatform }))
      .then((ev) => {
        if (!ev || !Buffer.isBuffer(ev.attestation) || typeof ev.policy !== 'object') throw new Error('issueEvidence must return { attestation: Buffer, policy: object }');
        if (ev.rootPem) rootPem = ev.rootPem;
        return ev;
      })
      .catch((err: unknown) => {
        rec.evidence = undefined; // a broken issuer is retried on the next request
        throw err;
      });
    return rec.evidence;
  }

  async function toJson(rec: CvmRecord): Promise<Record<string, unknown>> {
    const status = statusAt(rec);
    let attestation = '';
    if (reachedOnline(rec)) attestation = (rec.tamperedAttestation ?? (await evidenceOf(rec)).attestation).toString('base64');
    const state = { Creating: 'provisioning', Starting: 'provisioned', Online: 'provisioned', Offline: 'provisioned', Failed: 'failed', Inactive: 'removed' }[status];
    return {
      id: rec.id,
      name: rec.name,
      cvm_id: rec.id,
      agent_url: status === 'Creating' ? '' : `https://agent-${rec.id.slice(0, 8)}.cvms.sandbox.invalid:7001`,
      status,
      state,
      created_at: new Date(rec.createdAt).toISOString(),
      deleted_at: rec.deletedAt !== undefined ? new Date(rec.deletedAt).toISOString() : GO_ZERO_TIME,
      provider: rec.provider,
      vcpus: rec.vcpus,
      attestation,
      attestation_token: '', // only Azure CVMs carry an MAA token; the sandbox cannot mint one
      agent_log_level: rec.agentLogLevel,
      monthly_cost_estimate: `$${(rec.vcpus * 14.6).toFixed(2)}`,
      cc_platform: rec.ccPlatform,
    };
  }

  function snapshot(rec: CvmRecord): PrismSandboxCvm {
    return {
      id: rec.id,
      domainId: rec.domainId,
      name: rec.name,
      provider: rec.provider,
      vcpus: rec.vcpus,
      ccPlatform: rec.ccPlatform,
      status: statusAt(rec),
      createdAt: new Date(rec.createdAt).toISOString(),
      ...(rec.deletedAt !== undefined ? { deletedAt: new Date(rec.deletedAt).toISOString() } : {}),
      ...(rec.bootFailure ? { bootFailure: rec.bootFailure } : {}),
      evidenceIssued: rec.evidence !== undefined,
      tampered: rec.tamperedAttestation !== undefined,
      policyOverridden: rec.policyOverride !== undefined,
    };
  }

  const inDomain = (req: SandboxRequest): CvmRecord | undefined => {
    const rec = records.get(req.params.id ?? '');
    return rec && rec.domainId === req.params.domainID ? rec : undefined;
  };

  const byNewest = (a: CvmRecord, b: CvmRecord) => b.createdAt - a.createdAt || b.seq - a.seq;

  const server = new SandboxServer({
    name: 'prism',
    basePath: '/backends',
    clock,
    authenticate(req) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
      if (!m) return fail(401, 'something went wrong with the request', 'missing or invalid bearer user token');
      const domains = access.get(m[1]!);
      if (!domains) return fail(401, 'failed to perform authentication over the entity');
      if (!domains.has(req.params.domainID ?? '')) return fail(403, 'failed to perform authorization over the entity');
      return undefined;
    },
    // Go's ServeMux answer for an unknown route.
    notFound: () => ({ status: 404, text: '404 page not found\n' }),
    admin: {
      cvms: (req) => ({ status: 200, json: { cvms: sandbox.cvms(req.query.get('domain') ?? undefined) } }),
      'fail-boot': (req) => {
        const b = (req.body ?? {}) as FailBootTarget & { status?: string };
        if (b.status !== undefined && b.status !== 'Failed' && b.status !== 'Offline') return { status: 400, json: { error: 'status must be Failed or Offline' } };
        if (!b.id && !b.name && !b.next) return { status: 400, json: { error: 'give id, name or next: true' } };
        const affected = sandbox.failBoot(b, b.status as BootFailureStatus | undefined);
        return { status: 200, json: { affected } };
      },
      disconnect: (req) => {
        const id = String((req.body as { id?: unknown })?.id ?? '');
        if (!records.has(id)) return { status: 404, json: { error: `unknown CVM ${id}` } };
        sandbox.disconnect(id);
        return { status: 200, json: { cvm: sandbox.cvm(id) } };
      },
      'tamper-evidence': async (req) => {
        const b = (req.body ?? {}) as { id?: string; offset?: number };
        if (!b.id || !records.has(b.id)) return { status: 404, json: { error: `unknown CVM ${String(b.id)}` } };
        try {
          await sandbox.tamperEvidence(b.id, b.offset);
        } catch (err) {
          return { status: 400, json: { error: (err as Error).message } };
        }
        return { status: 200, json: { cvm: sandbox.cvm(b.id) } };
      },
      'policy-override': (req) => {
        const b = (req.body ?? {}) as { id?: string; policy?: object | null; policy_base64?: string };
        if (!b.id || !records.has(b.id)) return { status: 404, json: { error: `unknown CVM ${String(b.id)}` } };
        const policy = b.policy_base64 !== undefined ? Buffer.from(b.policy_base64, 'base64') : (b.policy ?? undefined);
        sandbox.setPolicyOverride(b.id, policy);
        return { status: 200, json: { cvm: sandbox.cvm(b.id) } };
      },
      'root-pem': () => ({ status: 200, json: { root_pem: rootPem ?? null } }),
      tokens: (req) => {
        const b = (req.body ?? {}) as { token?: string; domains?: string[] };
        if (!b.token || !Array.isArray(b.domains)) return { status: 400, json: { error: 'give token and domains[]' } };
        sandbox.grantToken(b.token, b.domains);
        return { status: 200, json: { ok: true } };
      },
    },
  });

  server.route(prismEndpoint('prismCreateCvm'), (req) => {
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.toLowerCase().startsWith('application/json')) return fail(415, 'unsupported content type');
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return badRequest('Request body is not a valid JSON, Expecting a valid JSON');
    const body = req.body as { name?: unknown; agent_log_level?: unknown };
    const provider = normalizeProvider(req.params.provider);
    if (!provider) return badRequest('invalid provider');
    const vcpus = intParam(req.params.vcpu ?? null, { min: 1, max: 224 });
    if (typeof vcpus !== 'number') return badRequest('invalid vcpu count');
    const ccPlatform = normalizeCcPlatform(req.params.cc_platform);
    if (!ccPlatform) return badRequest('invalid cc platform');
    if (typeof body.name !== 'string' || body.name.trim() === '') return badRequest('missing name');
    if (body.name.length > 1024) return badRequest('invalid name size');
    const level = body.agent_log_level ?? 'info';
    if (typeof level !== 'string' || !(PRISM_AGENT_LOG_LEVELS as readonly string[]).includes(level)) return badRequest('invalid agent log level');
    const name = body.name;
    if (opts.uniqueNames && [...records.values()].some((r) => r.domainId === req.params.domainID && r.name === name && statusAt(r) !== 'Inactive')) {
      return fail(409, 'entity already exists');
    }
    const rec: CvmRecord = { id: randomUUID(), domainId: req.params.domainID!, name, provider, vcpus, ccPlatform, agentLogLevel: level, createdAt: clock.now(), seq: records.size };
    const failure = failNext.shift();
    if (failure) rec.bootFailure = failure;
    const evidencePlatform = evidenceAsNext.shift();
    if (evidencePlatform) rec.evidencePlatform = evidencePlatform;
    records.set(rec.id, rec);
    return { status: 201 }; // no body, no id: callers find the CVM by name
  });

  server.route(prismEndpoint('prismListCvms'), async (req) => {
    const q = req.query;
    const limit = intParam(q.get('limit'), { min: 1, max: 100 });
    if (limit === null) return badRequest('invalid limit size');
    const offset = intParam(q.get('offset'), { min: 0, max: Number.MAX_SAFE_INTEGER });
    if (offset === null) return badRequest('invalid offset size');
    const days = intParam(q.get('days'), { min: 1, max: 36_500 });
    if (days === null) return badRequest('invalid query parameters');
    const ccRaw = q.get('cc_platform');
    const cc = ccRaw ? normalizeCcPlatform(ccRaw) : undefined;
    if (ccRaw && !cc) return badRequest('invalid query parameters');
    const name = q.get('name')?.toLowerCase();
    const status = q.get('status')?.toLowerCase();
    const now = clock.now();
    const matches = [...records.values()]
      .filter((r) => r.domainId === req.params.domainID)
      .filter((r) => !name || r.name.toLowerCase().includes(name)) // partial, case-insensitive, like SuperMQ's name filter
      .filter((r) => !status || statusAt(r, now).toLowerCase() === status)
      .filter((r) => !cc || r.ccPlatform === cc)
      .filter((r) => days === undefined || r.createdAt >= now - days * DAY_MS)
      .sort(byNewest);
    const lim = limit ?? 10;
    const off = offset ?? 0;
    const page = await Promise.all(matches.slice(off, off + lim).map(toJson));
    return { status: 200, json: { cvms: page, total: matches.length, limit: lim, offset: off } };
  });

  server.route(prismEndpoint('prismGetCvm'), async (req) => {
    const rec = inDomain(req);
    return rec ? { status: 200, json: await toJson(rec) } : notFound();
  });

  server.route(prismEndpoint('prismDeleteCvm'), (req) => {
    const rec = inDomain(req);
    if (!rec) return notFound();
    rec.deletedAt ??= clock.now(); // soft delete: the record stays with status Inactive; deleting again is a no-op
    return { status: 204 };
  });

  server.route(prismEndpoint('prismGetCvmStatistics'), (req) => {
    const rec = inDomain(req);
    if (!rec) return notFound();
    const days = intParam(req.query.get('days'), { min: 1, max: 36_500 });
    if (days === null) return badRequest('invalid query parameters');
    const now = clock.now();
    const from = now - (days ?? 7) * DAY_MS;
    const end = Math.min(now, rec.deletedAt ?? now);
    const stats: Array<{ id: string; cvm_id: string; timestamp: string; status: boolean }> = [];
    // One heartbeat per simulated interval since creation, newest first, within the window.
    const total = Math.floor((clock.elapsedSince(rec.createdAt) - clock.elapsedSince(end)) / t.statsIntervalMs);
    for (let k = total; k >= 1 && stats.length < MAX_STATS; k--) {
      const at = rec.createdAt + clock.real(k * t.statsIntervalMs);
      if (at < from) break;
      stats.push({ id: `stat-${rec.id.slice(0, 8)}-${k}`, cvm_id: rec.id, timestamp: new Date(at).toISOString(), status: statusAt(rec, at) === 'Online' });
    }
    return { status: 200, json: { cvm_stats: stats } };
  });

  server.route(prismEndpoint('prismGetAttestationPolicy'), async (req) => {
    const rec = inDomain(req);
    if (!rec) return notFound();
    // The policy describes the launch configuration, so it exists from creation on (unlike the evidence).
    const bytes = rec.policyOverride ?? Buffer.from(policyJson((await evidenceOf(rec)).policy));
    return { status: 200, json: { attestation_policy: bytes.toString('base64') } };
  });

  const mustGet = (id: string): CvmRecord => {
    const rec = records.get(id);
    if (!rec) throw new Error(`prism sandbox: unknown CVM ${id}`);
    return rec;
  };

  const sandbox: PrismSandbox = {
    server,
    token,
    domainId,
    cvms: (domain) => [...records.values()].filter((r) => !domain || r.domainId === domain).sort(byNewest).map(snapshot),
    cvm: (id) => {
      const rec = records.get(id);
      return rec ? snapshot(rec) : undefined;
    },
    failBoot(target, status = 'Failed') {
      let n = 0;
      if (target.next) {
        failNext.push(status);
        n += 1;
      }
      for (const rec of records.values()) {
        if ((target.id && rec.id === target.id) || (target.name && rec.name === target.name && rec.deletedAt === undefined)) {
          rec.bootFailure = status;
          n += 1;
        }
      }
      return n;
    },
    issueEvidenceAs(platform) {
      evidenceAsNext.push(platform);
    },
    disconnect(id) {
      mustGet(id).offlineAt ??= clock.now();
    },
    async tamperEvidence(id, offset) {
      const rec = mustGet(id);
      const original = (await evidenceOf(rec)).attestation;
      const at = offset ?? (original.length >= SNP_SIGNED_END ? DEFAULT_TAMPER_OFFSET : Math.floor(original.length / 2));
      if (!Number.isInteger(at) || at < 0 || at >= original.length) throw new Error(`offset ${at} is outside the evidence (${original.length} bytes)`);
      const copy = Buffer.from(rec.tamperedAttestation ?? original);
      copy[at] = copy[at]! ^ 0xff;
      rec.tamperedAttestation = copy;
    },
    setPolicyOverride(id, policy) {
      const rec = mustGet(id);
      rec.policyOverride = policy === undefined ? undefined : Buffer.isBuffer(policy) ? Buffer.from(policy) : Buffer.from(policyJson(policy));
    },
    sandboxRootPem: () => rootPem,
    agentCertPem: (id) => sandboxAgentCertPem(mustGet(id).id),
    expectedReportData: (id) => sandboxReportData(mustGet(id).id),
    grantToken(tok, domains) {
      access.set(tok, new Set([...(access.get(tok) ?? []), ...domains]));
    },
    close: () => server.close(),
  };
  return sandbox;
}
