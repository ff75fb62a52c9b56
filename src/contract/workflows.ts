// Workflow type names, and typed references to the workflow functions behind them. The names are a public
// contract (start them by name from any SDK or the `temporal` CLI); the references are type-only, so the client
// starts a workflow with the real signature and a changed input or result fails to compile there.
import type * as workflows from '../workflows';
import type { WorkflowResultType } from '@temporalio/common';
import type { Provider } from './common';

/** Every workflow cvmflow's worker serves, by type name. */
export type CvmflowWorkflows = typeof workflows;

export const WORKFLOW_TYPES = {
  provisionPhalaCvm: 'provisionPhalaCvm',
  createAttestedPrismCvm: 'createAttestedPrismCvm',
  createCudoVm: 'createCudoVm',
  teardownCvm: 'teardownCvm',
  operateCvm: 'operateCvm',
  reconcileFleet: 'reconcileFleet',
  collectCvmStatistics: 'collectCvmStatistics',
  reattestCvms: 'reattestCvms',
} as const satisfies { [K in keyof CvmflowWorkflows]?: K };

export type WorkflowType = keyof typeof WORKFLOW_TYPES;
/** The workflow function of a type, e.g. `WorkflowFn<'createCudoVm'>` for `client.workflow.start<...>`. */
export type WorkflowFn<T extends WorkflowType> = CvmflowWorkflows[T];
export type WorkflowResult<T extends WorkflowType> = WorkflowResultType<WorkflowFn<T>>;

/** The workflow types that create a CVM, by provider: a run of one of them is cvmflow's record of the CVM. */
export const LIFECYCLE_TYPES = { phala: 'provisionPhalaCvm', prism: 'createAttestedPrismCvm', cudo: 'createCudoVm' } as const satisfies Record<Provider, WorkflowType>;
