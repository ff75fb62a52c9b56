// Workflow ids that say what they are. Deterministic, so a repeated start attaches instead of duplicating.
import type { Provider } from './common';

export const WORKFLOW_TYPES = {
  provisionPhalaCvm: 'provisionPhalaCvm',
  createAttestedPrismCvm: 'createAttestedPrismCvm',
  createCudoVm: 'createCudoVm',
  teardownCvm: 'teardownCvm',
  operateCvm: 'operateCvm',
} as const;

export const lifecycleWorkflowId = (provider: Provider, nameOrVmId: string) => `cvm/${provider}/${nameOrVmId}`;
export const teardownWorkflowId = (provider: Provider, cvmKey: string) => `teardown/${provider}/${cvmKey}`;
export const operateWorkflowId = (provider: Provider, cvmId: string, action: string, requestId: string) => `operate/${provider}/${cvmId}/${action}/${requestId}`;
