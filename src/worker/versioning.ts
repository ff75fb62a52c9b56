// Worker Deployment Versioning: the worker's version is deployment `cvmflow` (CVMFLOW_DEPLOYMENT_NAME) and a
// build id taken from the content of the workflow bundle, so any change to workflow code is a new version and
// a rebuild of the same code is the same one. Which version new workflows start on is the deployment's
// *current* version: set by `cvmflow deploy promote`, or by the worker itself (CVMFLOW_DEPLOYMENT_PROMOTE).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';

export { DEFAULT_DEPLOYMENT_NAME } from '../contract/defaults';
/** Length of the build id (hex digits of the SHA-256 of the bundle code). */
const BUILD_ID_HEX = 16;

export interface VersioningConfig {
  /** off: the worker runs unversioned (for clusters without Worker Deployment Versioning). */
  mode: 'on' | 'off';
  deploymentName: string;
  /**
   * What the worker does about the deployment's current version once it polls: `always` makes itself current
   * (a development loop), `first` only when the deployment has none yet (a first deploy), `never` leaves it to
   * `cvmflow deploy promote`.
   */
  promote: 'always' | 'first' | 'never';
}

/** The build id of a workflow bundle: its code without the trailing source map (which holds absolute paths). */
export function buildIdOfBundle(code: string): string {
  const map = code.lastIndexOf('\n//# sourceMappingURL=');
  const body = map >= 0 ? code.slice(0, map) : code;
  return createHash('sha256').update(body).digest('hex').slice(0, BUILD_ID_HEX);
}

export function buildIdOfBundleFile(codePath: string): string {
  return buildIdOfBundle(readFileSync(codePath, 'utf8'));
}

export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
  versioned: boolean;
}

/** The worker options of that version: versioned, or unversioned (no options at all: then no workflow states a behaviour). */
export function deploymentOptions(v: WorkerVersion): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!v.versioned) return {};
  // Workflows state their own behaviour (src/workflows/support/versioning.ts). The default is for runs that do not:
  // ones an unversioned worker started (before versioning was on), which must follow the current version rather
  // than be pinned to whichever version happens to pick them up.
  return { workerDeploymentOptions: { version: { deploymentName: v.deploymentName, buildId: v.buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' } };
}

/** The version string Temporal uses in visibility (`TemporalWorkerDeploymentVersion`) and the CLI. */
export function versionString(deploymentName: string, buildId: string): string {
  return `${deploymentName}:${buildId}`;
}

export type PromoteOutcome = 'made-current' | 'already-current' | 'left-alone';

/**
 * Once this worker's version is registered (its pollers reached the server), makes it current as `promote` says.
 * Retries while the version is not yet visible in the deployment (it appears after the first poll).
 */
export async function promoteOnStart(client: Client, namespace: string, v: WorkerVersion, promote: VersioningConfig['promote'], opts: { timeoutMs?: number; identity?: string; signal?: AbortSignal } = {}): Promise<PromoteOutcome> {
  if (!v.versioned || promote === 'never') return 'left-alone';
  const svc = client.workflowService;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (opts.signal?.aborted) return 'left-alone';
    let lastError: unknown;
    try {
      const d = await svc.describeWorkerDeployment({ namespace, deploymentName: v.deploymentName });
      const info = d.workerDeploymentInfo;
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
      if (current === v.buildId) return 'already-current';
      if (promote === 'first' && current) return 'left-alone';
      const registered = (info?.versionSummaries ?? []).some((s) => s.deploymentVersion?.buildId === v.buildId);
      if (registered) {
        await svc.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: v.deploymentName, buildId: v.buildId, conflictToken: d.conflictToken, identity: opts.identity ?? 'cvmflow-worker' });
        return 'made-current';
      }
    } catch (err) {
      lastError = err; // NOT_FOUND until the first poll creates the deployment; a conflict when another worker promoted meanwhile
    }
    if (Date.now() > deadline) {
      throw new Error(`could not make ${versionString(v.deploymentName, v.buildId)} the current version within ${((opts.timeoutMs ?? 60_000) / 1000).toFixed(0)} s${lastError ? ` (${(lastError as Error).message})` : ''}: run \`cvmflow deploy promote\` or set CVMFLOW_DEPLOYMENT_PROMOTE=never`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
