// Workflow ids that say what they are. Deterministic, so a repeated start attaches instead of duplicating.
import type { Provider } from './common';

export const WORKFLOW_TYPES = {
  provisionPhalaCvm: 'provisionPhalaCvm',
  createAttestedPrismCvm: 'createAttestedPrismCvm',
  createCudoVm: 'createCudoVm',
  teardownCvm: 'teardownCvm',
  operateCvm: 'operateCvm',
  reconcileFleet: 'reconcileFleet',
  collectCvmStatistics: 'collectCvmStatistics',
  reattestCvms: 'reattestCvms',
} as const;

/** The workflow types that create a CVM, by provider: a run of one of them is cvmflow's record of the CVM. */
export const LIFECYCLE_TYPES = { phala: 'provisionPhalaCvm', prism: 'createAttestedPrismCvm', cudo: 'createCudoVm' } as const;

export const lifecycleWorkflowId = (provider: Provider, nameOrVmId: string) => `cvm/${provider}/${nameOrVmId}`;
export const teardownWorkflowId = (provider: Provider, cvmKey: string) => `teardown/${provider}/${cvmKey}`;
export const operateWorkflowId = (provider: Provider, cvmId: string, action: string, requestId: string) => `operate/${provider}/${cvmId}/${action}/${requestId}`;
/** Runs started by a schedule get this id plus the scheduled time. */
export const scheduleWorkflowId = (scheduleId: string) => `schedule/${scheduleId}`;
