// Every activity the worker registers, built from its dependencies (so tests can hand in others).
// Every name is always registered: a provider that is not configured answers with a clear,
// non-retryable failure instead of an "activity not registered" error that retries forever.
import { ApplicationFailure } from '@temporalio/common';
import type { CudoClient } from '../providers/cudo/client';
import type { EndpointDef } from '../providers/http/endpoint';
import type { PhalaClient } from '../providers/phala/client';
import type { PrismClient } from '../providers/prism/client';
import { cudoEndpoints } from '../providers/cudo/endpoints';
import { phalaEndpoints } from '../providers/phala/endpoints';
import { prismEndpoints } from '../providers/prism/endpoints';
import { createCudoActivities } from './cudo';
import { createFleetActivities, type FleetActivityDependencies } from './fleet';
import { createLifecycleActivities, type LifecycleActivityDependencies } from './lifecycle';
import { createPhalaActivities } from './phala';
import { DurationHistory } from './poll-plan';
import { createPhalaAttestationActivities, type PhalaAttestationDependencies } from './phala-attestation';
import { createPrismActivities } from './prism';
import { createWorkerInfoActivities, type WorkerInfo } from './worker-info';
import { FailureTypes } from '../contract/failures';

export interface ActivityDependencies {
  workerInfo: Omit<WorkerInfo, 'pid'>;
  phala?: PhalaClient;
  prism?: PrismClient;
  cudo?: CudoClient;
  /** Resolves `env:`/`file:` secret references inside activities. */
  resolveSecret?: (ref: string) => Promise<string>;
  /** Sandbox roots (PEM bundle: Prism's AMD ARK, Phala's TDX root) trusted for this worker's own sandboxes or by config. */
  sandboxAttestationRoot?: LifecycleActivityDependencies['sandboxAttestationRoot'];
  /** The TDX collateral of this worker's own Phala sandbox (it plays Intel PCS for its sandbox chain). */
  sandboxTdxCollateral?: PhalaAttestationDependencies['sandboxTdxCollateral'];
  collateral?: LifecycleActivityDependencies['collateral'];
  /** For the fleet workflows' visibility queries (`listCvmflowWorkflows`). */
  temporalClient?: FleetActivityDependencies['temporalClient'];
  /** Recent waits per provider, target and machine kind, for awaitCvmState and Phala's watch (default: a new one). */
  waitHistory?: DurationHistory;
}

function notConfigured<T>(provider: string, endpoints: readonly EndpointDef[]): T {
  const fail = (activity: string) => async () => {
    throw ApplicationFailure.create({
      message: `${activity}: provider ${provider} is not configured on this worker (set its API URL and token, or CVMFLOW_SANDBOX=auto)`,
      type: FailureTypes.ProviderNotConfigured,
      nonRetryable: true,
    });
  };
  return Object.fromEntries(endpoints.map((e) => [e.activity, fail(e.activity)])) as T;
}

export function createActivities(deps: ActivityDependencies) {
  const waitHistory = deps.waitHistory ?? new DurationHistory();
  return {
    ...createWorkerInfoActivities(deps.workerInfo),
    ...createLifecycleActivities({ ...deps, waitHistory }),
    ...createPhalaAttestationActivities(deps),
    ...createFleetActivities({ temporalClient: deps.temporalClient }),
    ...(deps.phala ? createPhalaActivities(deps.phala, { waitHistory }) : notConfigured<ReturnType<typeof createPhalaActivities>>('phala', phalaEndpoints)),
    ...(deps.prism ? createPrismActivities(deps.prism) : notConfigured<ReturnType<typeof createPrismActivities>>('prism', prismEndpoints)),
    ...(deps.cudo ? createCudoActivities(deps.cudo, { resolveSecret: deps.resolveSecret }) : notConfigured<ReturnType<typeof createCudoActivities>>('cudo', cudoEndpoints)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
