// Each workflow type's versioning behaviour (README "Upgrading cvmflow"): short lifecycles are PINNED (they
// finish on the build that started them); long waits (teardownCvm, the fleet runs) AUTO_UPGRADE to the
// current build, so every change to their code goes behind patched().
// The behaviour is stated only when the run's first task ran on a versioned worker (a deployment name; an
// unversioned worker's version has only a build id): an unversioned worker (CVMFLOW_WORKER_VERSIONING=off,
// replay, tests) must not state one, or the SDK rejects its task completion. A run an unversioned worker started gets
// the versioned worker's default, AUTO_UPGRADE (src/worker/versioning.ts).
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { VersioningBehavior } from '@temporalio/common';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any workflow function, whatever its arguments
export function versioningBehavior(behavior: VersioningBehavior, workflow: (...args: any[]) => Promise<unknown>): void {
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {}), workflow);
}
