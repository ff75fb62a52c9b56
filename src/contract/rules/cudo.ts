// CUDO Compute rules both sides of Temporal need, written once: the VM id pattern, cvmflow's metadata marks, and
// the VM state classification. Pure (type imports only): the provider client, activities, sandbox and workflows read it.
//
// State classification (notes cudo.md §6): `state` (VmState enum) is authoritative; `shortState`
// (OpenNebula's 4-letter state, a free string) fills in when `state` is absent, and `fail`/`done` always count.
//   running      = ACTIVE (or `runn` when state is absent)
//   stopped      = STOPPED (or `poff` | `stop` | `unde` when state is absent)
//   gone         = HTTP 404, DELETED or `done`
//   failed       = FAILED or `fail` (terminal error: terminate it)
//   transitional = anything else (CLONING, STARTING, HOTPLUGGING, UNKNOWN, unknown names, nothing at all, ...)
// `settled` is true for the four end classes and for SUSPENDED / `susp` (stable, though not caused by us), so a
// waiter can stop polling instead of burning its budget on a state that will not move by itself.
import type { WaiterTable } from './cvm';

/** `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`: the client-chosen VM id (CUDO uses the same rule for image ids). */
export const CUDO_VM_ID_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Catalog ids (data center, machine type, image, security group, GPU model id): letters, digits, . _ -. */
export const CUDO_CATALOG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Metadata keys cvmflow writes and reads: creation reconciles on the marks, and the fleet reconciler never
 * touches a VM without `managed-by=cvmflow`; `cvmflow-expires-at` is an optional lease end. */
export const CUDO_MANAGED_BY = 'managed-by';
export const CUDO_MANAGED_BY_VALUE = 'cvmflow';
export const CUDO_WORKFLOW_ID = 'cvmflow-workflow-id';
export const CUDO_EXPIRES_AT = 'cvmflow-expires-at';

/** Whether a VM's metadata carries cvmflow's ownership mark (`managed-by=cvmflow`), which createCudoVm writes on
 * the VM it creates: CUDO's own record that cvmflow made it. */
export function hasCvmflowMark(metadata: Record<string, string> | null | undefined): boolean {
  return metadata?.[CUDO_MANAGED_BY] === CUDO_MANAGED_BY_VALUE;
}

/** What may precede each target (see WaiterTable): a start leaves STOPPED, a stop leaves ACTIVE, and terminate
 * may be asked of any VM, SUSPENDED included. A SUSPENDED VM never becomes ACTIVE or STOPPED by itself. */
export const cudoWaiter: WaiterTable = { running: ['stopped'], stopped: ['running'], gone: ['running', 'stopped', 'transitional'], 'evidence-ready': [] };

export type CudoVmClass = 'running' | 'stopped' | 'gone' | 'failed' | 'transitional';

export interface CudoVmClassification {
  class: CudoVmClass;
  /** The state used (`CLONING` when the server omitted the zero value and no shortState helps). */
  state?: string;
  shortState?: string;
  settled: boolean;
  /** One line for logs and workflow history. */
  description: string;
}

const SHORT_RUNNING = new Set(['runn']);
const SHORT_STOPPED = new Set(['poff', 'stop', 'unde']);
const SHORT_GONE = new Set(['done']);
const SHORT_FAILED = new Set(['fail']);
const SHORT_SETTLED_OTHER = new Set(['susp']);

/** What each known state means, for descriptions. */
const STATE_TEXT: Record<string, string> = {
  PENDING: 'waiting for a host',
  CLONING: 'cloning the boot disk',
  STARTING: 'starting',
  ACTIVE: 'running',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  DELETING: 'being deleted',
  DELETED: 'deleted',
  FAILED: 'failed',
  HOTPLUGGING: 'hot-plugging (NIC, disk, security group or image save)',
  RESIZING: 'resizing vCPUs/memory',
  RESIZING_DISK: 'resizing a disk',
  MIGRATING: 'migrating',
  RECREATING: 'being recreated',
  CREATING_SNAPSHOT: 'creating a snapshot',
  DELETING_SNAPSHOT: 'deleting a snapshot',
  REVERTING_SNAPSHOT: 'reverting a snapshot',
  SUSPENDING: 'suspending',
  SUSPENDED: 'suspended (not by us)',
  UNKNOWN: 'in an unknown state',
};

function clean(v: string | undefined | null): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** Classifies from the two state fields; either may be missing. */
export function classifyCudoState(stateIn?: string | null, shortStateIn?: string | null): CudoVmClassification {
  const state = clean(stateIn)?.toUpperCase();
  const shortState = clean(shortStateIn)?.toLowerCase();
  const make = (cls: CudoVmClass, settled: boolean, usedState: string | undefined): CudoVmClassification => {
    const what = usedState ? (STATE_TEXT[usedState] ?? `in state ${usedState}`) : shortState ? `in short state ${shortState}` : 'in an unreported state';
    return {
      class: cls,
      ...(usedState !== undefined ? { state: usedState } : {}),
      ...(shortState !== undefined ? { shortState } : {}),
      settled,
      description: `${cls}: VM is ${what}${shortState && usedState ? ` (${shortState})` : ''}`,
    };
  };
  if (state === 'FAILED' || (shortState && SHORT_FAILED.has(shortState))) return make('failed', true, state);
  if (state === 'DELETED' || (shortState && SHORT_GONE.has(shortState))) return make('gone', true, state);
  if (state !== undefined) {
    if (state === 'ACTIVE') return make('running', true, state);
    if (state === 'STOPPED') return make('stopped', true, state);
    return make('transitional', state === 'SUSPENDED', state);
  }
  if (shortState) {
    if (SHORT_RUNNING.has(shortState)) return make('running', true, undefined);
    if (SHORT_STOPPED.has(shortState)) return make('stopped', true, undefined);
    return make('transitional', SHORT_SETTLED_OTHER.has(shortState), undefined);
  }
  // Neither field: protojson omitted the zero value, which is CLONING.
  return make('transitional', false, 'CLONING');
}

/** Classifies a VM object (GET/LIST/create/resize answers). */
export function classifyCudoVm(vm: { state?: string | null; shortState?: string | null } | undefined | null): CudoVmClassification {
  if (!vm) return classifyCudoGone();
  return classifyCudoState(vm.state, vm.shortState);
}

/** The classification for a 404 on the VM (terminate finished, or it never existed). */
export function classifyCudoGone(): CudoVmClassification {
  return { class: 'gone', settled: true, description: 'gone: VM not found (404)' };
}
