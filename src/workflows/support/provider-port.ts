// The provider port for workflows: per provider, one descriptor saying how to list its CVMs, find one by name,
// act on one (power actions), delete one, collect its statistics and check its evidence again, each through the
// existing per-endpoint activities. Workflows ask `providerPort(provider)` instead of branching on the name; the
// pure half of each descriptor (actions, id rules, waiter table) is its profile in src/contract/rules/profiles.ts.
// Every call here is the one the workflows made before the port existed (same activity, arguments and order), so
// recorded histories replay unchanged.
import { isCancellation, patched } from '@temporalio/workflow';
import type { Provider } from '../../contract/common';
import { FailureTypes } from '../../contract/failures';
import type { CvmflowWorkflowRecord, CvmStatistics, ReattestCvmsParams } from '../../contract/fleet';
import type { CvmAction, CvmObservation } from '../../contract/rules/cvm';
import { classifyCudoState, CUDO_EXPIRES_AT, CUDO_MANAGED_BY, CUDO_MANAGED_BY_VALUE, hasCvmflowMark } from '../../contract/rules/cudo';
import { PROVIDER_PROFILES, type ProviderProfile } from '../../contract/rules/profiles';
import { lifecycleWorkflowId } from '../../contract/workflow-ids';
import { attempt, verifyPhala, type Outcome } from './attestation';
import type { InventoryItem } from './fleet';
import { heartbeatFor, waitOptions, type LifecycleActivities } from './options';
import { describeFailure } from './input';
import { livePrismCvmsNamed } from './prism-names';

/** What an action needs besides the CVM (the operate input carries these; a teardown's stop needs none). */
export interface ActionRequest {
  cvmId: string;
  /** restart (Phala): skip the graceful shutdown. */
  force?: boolean;
  /** replicate (Phala): the node for the replica. */
  nodeId?: number;
  /** resize (CUDO). */
  vcpus?: number;
  memoryGib?: number;
  /** The CVM as the caller just observed it (operateCvm's ownership proof), so an action need not look again. */
  observed?: CvmObservation;
}

/** The state an action should end in, and the CVM to wait on for it (a replica is a new CVM). */
export interface Requested {
  target: 'running' | 'stopped';
  waitOn: string;
}

export type PowerAction = (acts: LifecycleActivities, request: ActionRequest) => Promise<Requested>;

/** A CVM's statistics as the provider reports them (the rest of its statistics line stays empty). */
export type StatisticsSummary = Partial<Pick<CvmStatistics, 'samples' | 'onlineSamples' | 'offlineSamples' | 'cpuAvg' | 'cpuMax' | 'latestAt'>>;

/** What a re-attestation knows of a running CVM when it prepares the check. */
export interface EvidenceSubject {
  item: InventoryItem;
  policy: ReattestCvmsParams['policy'];
  /** A lifecycle of cvmflow created it and recorded its id (isManaged), and that lifecycle completed. */
  managed: boolean;
  /** The latest lifecycle record under the CVM's key, whoever's CVM it recorded. */
  lifecycle: CvmflowWorkflowRecord | undefined;
}

export interface EvidencePort {
  /** Whether a listed running CVM has evidence to check yet (Prism: its boot-time evidence is present). */
  ready(item: InventoryItem): boolean;
  /** Prepares the check of one CVM (it may read the lifecycle's record first); each call of the check fetches and verifies anew. */
  checker(acts: LifecycleActivities, subject: EvidenceSubject): Promise<() => Promise<Outcome>>;
}

/**
 * What proves that cvmflow created a CVM, asked before a teardown deletes it: either a cvmflow lifecycle recorded
 * one of the CVM's ids (its `CvmId`), or the provider's own ownership mark on the CVM is there.
 */
export type OwnershipProof =
  | { kind: 'recorded-id'; ids(target: CvmObservation): string[] }
  | { kind: 'mark'; marked(target: CvmObservation): boolean; mark: string };

export interface ProviderPort {
  provider: Provider;
  profile: ProviderProfile;
  /** What proves a live CVM of this provider is cvmflow's (see OwnershipProof). */
  ownership: OwnershipProof;
  /** Every CVM the provider lists, gone ones included, following its pagination. */
  list(acts: LifecycleActivities): Promise<InventoryItem[]>;
  /**
   * Whether a name picks exactly one CVM (Phala names; CUDO's vmId is its name). Prism names are shared, so a name
   * alone never picks a Prism CVM to act on: only the id its lifecycle recorded does.
   */
  uniqueNames: boolean;
  /** The CVM of that name, observed (undefined: none by that name). */
  findByName(acts: LifecycleActivities, name: string): Promise<CvmObservation | undefined>;
  /** The day-2 actions it has endpoints for, each sending its request (profile.actions names the same ones). */
  actions: Partial<Record<CvmAction, PowerAction>>;
  /** Deletes the CVM (a CVM already gone is not an error where the endpoint says so). */
  /** Deletes the CVM; `pollIntervalMs` paces any wait the provider needs first (a VM that must settle). */
  delete(acts: LifecycleActivities, cvmId: string, pollIntervalMs?: number): Promise<void>;
  /** Collects a running CVM's statistics; null when the provider has none (profile.noStatistics says why). */
  statistics: { collect(acts: LifecycleActivities, cvmId: string, days: number): Promise<StatisticsSummary> } | null;
}

/** A provider whose CVMs carry attestation evidence (CUDO VMs carry none). */
export interface AttestingPort extends ProviderPort {
  evidence: EvidencePort;
}

/** An action that sends one request and ends with the same CVM in `target`. */
function ends(target: Requested['target'], send: (acts: LifecycleActivities, request: ActionRequest) => Promise<unknown>): PowerAction {
  return async (acts, request) => {
    await send(acts, request);
    return { target, waitOn: request.cvmId };
  };
}

/** A provider that accepts the name as an id: the observation carries the precise handle for the next calls. */
async function observeByHandle(acts: LifecycleActivities, provider: Provider, name: string): Promise<CvmObservation> {
  const o = await acts.observeCvm({ provider, cvmId: name });
  const ref = o.facts.ref;
  return typeof ref === 'string' && ref ? { ...o, cvmId: ref } : o;
}

const phala: AttestingPort = {
  provider: 'phala',
  profile: PROVIDER_PROFILES.phala,
  // The lifecycle records the CVM's ref; a CVM addressed by another of its ids is observed with its ref in `facts`.
  ownership: { kind: 'recorded-id', ids: (t) => [t.cvmId, ...(typeof t.facts.ref === 'string' && t.facts.ref ? [t.facts.ref] : [])] },
  async list(acts) {
    const out: InventoryItem[] = [];
    for (let page = 1; page <= 100; page++) {
      const r = await acts.phalaListCvms({ page, page_size: 100 });
      for (const c of r.items) out.push({ provider: 'phala', key: c.name, cvmId: c.ref, name: c.name, class: c.phase, status: c.status, evidenceReady: false, marked: false, expiresAt: null });
      if (r.legacyShape || r.items.length === 0 || (r.pages ?? 1) <= page) break;
    }
    return out;
  },
  uniqueNames: true,
  findByName: (acts, name) => observeByHandle(acts, 'phala', name),
  actions: {
    start: ends('running', (acts, { cvmId: id }) => acts.phalaStartCvm({ id })),
    stop: ends('stopped', (acts, { cvmId: id }) => acts.phalaStopCvm({ id })),
    shutdown: ends('stopped', (acts, { cvmId: id }) => acts.phalaShutdownCvm({ id })),
    restart: ends('running', (acts, { cvmId: id, force }) => acts.phalaRestartCvm({ id, force })),
    async replicate(acts, { cvmId: id, nodeId }) {
      const replica = await acts.phalaReplicateCvm({ id, ...(nodeId !== undefined ? { node_id: nodeId } : {}) });
      return { target: 'running', waitOn: replica.ref };
    },
  },
  async delete(acts, cvmId) {
    await acts.phalaDeleteCvm({ id: cvmId, notFoundOk: true });
  },
  statistics: null,
  evidence: {
    ready: () => true,
    async checker(acts, { item, managed, lifecycle }) {
      // What a Phala CVM must run is what its lifecycle deployed; without that record there is nothing to compare.
      if (!managed || !lifecycle) {
        const recorded = lifecycle ? `${lifecycleWorkflowId('phala', item.key)} recorded ${lifecycle.cvmId ?? 'no id'}` : 'no record';
        return async () => ({ result: 'undetermined', reasons: [`no cvmflow lifecycle recorded this CVM (${recorded}), so what it should run is unknown`] });
      }
      const id = await acts.lifecycleIdentity({ workflowId: lifecycle.workflowId, runId: lifecycle.runId });
      return id.appId && id.composeHash
        ? () => verifyPhala(acts, { appId: id.appId!, vmUuid: id.vmUuid, composeHash: id.composeHash!, ...(id.keyProvider ? { keyProvider: id.keyProvider } : {}) })
        : async () => ({ result: 'undetermined', reasons: [`the lifecycle ${lifecycle.workflowId} recorded no app id or compose hash`] });
    },
  },
};

const prism: AttestingPort = {
  provider: 'prism',
  profile: PROVIDER_PROFILES.prism,
  ownership: { kind: 'recorded-id', ids: (t) => [t.cvmId] },
  async list(acts) {
    const out: InventoryItem[] = [];
    for (let offset = 0, n = 0; n < 100; n++) {
      const r = await acts.prismListCvms({ limit: 100, offset });
      for (const v of r.items) out.push({ provider: 'prism', key: v.cvm.name, cvmId: v.cvm.id, name: v.cvm.name, class: v.lifecycle.class, status: v.lifecycle.status, evidenceReady: v.lifecycle.evidenceReady, marked: false, expiresAt: null });
      offset += r.items.length;
      if (r.items.length === 0 || offset >= r.total) break;
    }
    return out;
  },
  uniqueNames: false,
  async findByName(acts, name) {
    const [live] = await livePrismCvmsNamed(acts, name);
    return live ? acts.observeCvm({ provider: 'prism', cvmId: live.id }) : undefined;
  },
  actions: {},
  async delete(acts, cvmId) {
    await acts.prismDeleteCvm({ id: cvmId });
  },
  statistics: {
    async collect(acts, id, days) {
      const s = await acts.prismGetCvmStatistics({ id, days });
      return { samples: s.cvm_stats.length, onlineSamples: s.onlineSamples, offlineSamples: s.offlineSamples, latestAt: s.latest?.timestamp ?? null };
    },
  },
  evidence: {
    ready: (item) => item.evidenceReady,
    async checker(acts, { item, policy: given }) {
      return () =>
        attempt(async () => {
          const { cvm } = await acts.prismGetCvm({ id: item.cvmId });
          const policy = given ? { policyJson: JSON.stringify(given) } : { policyBase64: (await acts.prismGetAttestationPolicy({ id: item.cvmId })).attestation_policy };
          return acts.verifyCvmAttestation({ evidenceBase64: String(cvm.attestation ?? ''), ...policy, at: new Date().toISOString() });
        });
    },
  },
};

/** Patch id (after release 0.3.0): a CUDO delete refused mid-transition waits for the VM to settle and tries again. */
export const PATCH_CUDO_DELETE_WHEN_SETTLED = 'cudo-delete-when-settled';
/** How long a CUDO delete waits for a VM in transition to settle (a create's clone and boot take minutes). */
const SETTLE_DEADLINE_MS = 30 * 60_000;

const cudo: ProviderPort = {
  provider: 'cudo',
  profile: PROVIDER_PROFILES.cudo,
  // Not the lifecycle's record: the client records the vmId before anything is created, so a lifecycle refused with
  // VmIdTaken "recorded" a VM someone else owns. The mark createCudoVm writes on the VM it creates is the proof.
  ownership: { kind: 'mark', marked: (t) => t.facts.cvmflowMark === true, mark: `${CUDO_MANAGED_BY}=${CUDO_MANAGED_BY_VALUE}` },
  async list(acts) {
    const out: InventoryItem[] = [];
    const r = await acts.cudoListVms({});
    for (const vm of r.VMs) {
      if (!vm.id) continue;
      const md = vm.metadata ?? {};
      const cls = classifyCudoState(vm.state, vm.shortState).class;
      out.push({ provider: 'cudo', key: vm.id, cvmId: vm.id, name: vm.id, class: cls, status: vm.state ?? vm.shortState ?? 'UNKNOWN', evidenceReady: false, marked: hasCvmflowMark(md), expiresAt: md[CUDO_EXPIRES_AT] ?? null });
    }
    return out;
  },
  uniqueNames: true,
  findByName: (acts, name) => observeByHandle(acts, 'cudo', name),
  actions: {
    start: ends('running', (acts, { cvmId: id }) => acts.cudoStartVm({ id })),
    stop: ends('stopped', (acts, { cvmId: id }) => acts.cudoStopVm({ id })),
    reboot: ends('running', (acts, { cvmId: id }) => acts.cudoRebootVm({ id })),
    async resize(acts, { cvmId: id, vcpus, memoryGib, observed }) {
      // A stopped VM stays stopped after a resize; a running one comes back running.
      const before = observed ?? (await acts.observeCvm({ provider: 'cudo', cvmId: id }));
      await acts.cudoResizeVm({ id, vcpus: vcpus!, memoryGib: memoryGib! });
      return { target: before.class === 'stopped' ? 'stopped' : 'running', waitOn: id };
    },
  },
  async delete(acts, cvmId, pollIntervalMs = 5_000) {
    try {
      await acts.cudoTerminateVm({ id: cvmId });
    } catch (err) {
      // CUDO refuses to terminate a VM in the middle of a transition (CLONING, STARTING...: FAILED_PRECONDITION, a
      // conflict): a lifecycle cancelled just after its create met that, and gave up on the VM. Wait until the VM
      // settles (ACTIVE, or any state it stays in), then terminate it.
      if (describeFailure(err).type !== FailureTypes.ProviderConflict || !patched(PATCH_CUDO_DELETE_WHEN_SETTLED)) throw err;
      try {
        await acts.awaitCvmState.executeWithOptions(waitOptions(SETTLE_DEADLINE_MS, heartbeatFor(pollIntervalMs)), [{ provider: 'cudo', cvmId, target: 'running', pollIntervalMs }]);
      } catch (waitErr) {
        if (isCancellation(waitErr)) throw waitErr;
        if (describeFailure(waitErr).type === FailureTypes.CvmGone) return; // it went by itself
        // settled elsewhere (FAILED, STOPPED): terminate it there
      }
      await acts.cudoTerminateVm({ id: cvmId });
    }
  },
  statistics: {
    async collect(acts, id) {
      const { items } = await acts.cudoMonitorVm({ id });
      const cpu = items.map((i) => i.cpu).filter((c): c is number => typeof c === 'number');
      const latest = items.map((i) => i.timestamp).filter((t): t is string => typeof t === 'string').sort((a, b) => Number(a) - Number(b)).pop();
      return {
        samples: items.length,
        cpuAvg: cpu.length ? Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100 : null,
        cpuMax: cpu.length ? Math.max(...cpu) : null,
        latestAt: latest ? (/^\d+$/.test(latest) ? new Date(Number(latest) * (latest.length <= 10 ? 1000 : 1)).toISOString() : latest) : null,
      };
    },
  },
};

/** Each provider's port; the providers with attestation say how to check their evidence. */
interface Ports extends Record<Provider, ProviderPort> {
  phala: AttestingPort;
  prism: AttestingPort;
}
const PORTS: Ports = { phala, prism, cudo };

/** The provider's port: the one place a workflow's provider call is chosen. */
export function providerPort<P extends Provider>(provider: P): Ports[P] {
  return PORTS[provider];
}

/** Selects the entries about one provider (grouping a fleet's lists; not a provider behaviour). */
export function ofProvider<P extends string>(provider: P): (x: { provider: string }) => boolean {
  return (x) => x.provider === provider;
}
