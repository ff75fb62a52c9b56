// cvmflow's Worker Deployment from the client's side: which versions exist, which is current and which ramping,
// how many open workflows each still has and whether it has drained; and the rollout itself (make a version
// current, or ramp a share of new workflows to it). Through the WorkflowService API, as `temporal worker
// deployment` does.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';

const Status = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
const Drainage = temporal.api.enums.v1.VersionDrainageStatus;

export interface DeploymentVersion {
  buildId: string;
  /** `<deployment>:<buildId>`, as Temporal writes it (TemporalWorkerDeploymentVersion). */
  version: string;
  /** current, ramping, draining (pinned workflows left), drained, inactive (never current or ramping). */
  status: 'current' | 'ramping' | 'draining' | 'drained' | 'inactive' | 'unknown';
  /** Open workflows whose last task ran on this version (pinned and not yet upgraded ones alike). */
  openWorkflows: number;
  createdAt?: string;
}

export interface DeploymentStatus {
  deploymentName: string;
  current?: string;
  ramping?: { buildId: string; percentage: number };
  versions: DeploymentVersion[];
}

const STATUS_NAMES: Record<number, DeploymentVersion['status']> = {
  [Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT]: 'current',
  [Status.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING]: 'ramping',
  [Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING]: 'draining',
  [Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED]: 'drained',
  [Status.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE]: 'inactive',
};

function iso(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!t?.seconds) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

function versionStatus(s: { status?: number | null; drainageStatus?: number | null }): DeploymentVersion['status'] {
  const named = STATUS_NAMES[s.status ?? 0];
  if (named) return named;
  // Servers before the status field: drainage alone tells draining from drained.
  if (s.drainageStatus === Drainage.VERSION_DRAINAGE_STATUS_DRAINED) return 'drained';
  if (s.drainageStatus === Drainage.VERSION_DRAINAGE_STATUS_DRAINING) return 'draining';
  return 'unknown';
}

export async function describeDeployment(client: Client, deploymentName: string): Promise<DeploymentStatus> {
  const { workerDeploymentInfo: info } = await client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName });
  const routing = info?.routingConfig;
  const current = routing?.currentDeploymentVersion?.buildId || undefined;
  const rampingId = routing?.rampingDeploymentVersion?.buildId || undefined;
  const versions: DeploymentVersion[] = [];
  for (const s of info?.versionSummaries ?? []) {
    const buildId = s.deploymentVersion?.buildId ?? '';
    const version = `${deploymentName}:${buildId}`;
    const { count } = await client.workflow.count(`TemporalWorkerDeploymentVersion = ${JSON.stringify(version)} AND ExecutionStatus = "Running"`);
    versions.push({ buildId, version, status: versionStatus(s), openWorkflows: count, createdAt: iso(s.createTime) });
  }
  versions.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return { deploymentName, current, ramping: rampingId ? { buildId: rampingId, percentage: routing?.rampingVersionPercentage ?? 0 } : undefined, versions };
}

export const PromoteSchema = z.object({
  deploymentName: z.string().min(1, 'deployment name must not be empty'),
  /** Default: the newest version of the deployment. */
  buildId: z.string().min(1, 'build id must not be empty').optional(),
  /** A percentage 0-100 of new workflows to ramp to the version; absent makes it current. */
  ramp: z.number({ message: 'ramp: expected a percentage 0-100, e.g. 10 or 10%' }).min(0, 'ramp: expected a percentage 0-100').max(100, 'ramp: expected a percentage 0-100').optional(),
});
export type PromoteRequest = z.input<typeof PromoteSchema>;

export interface PromoteResult {
  buildId: string;
  action: 'made-current' | 'ramping' | 'ramp-removed';
  percentage?: number;
  previousCurrent?: string;
}

/** Makes a version current (its ramp, if any, ends), or ramps `ramp`% of new workflows to it; `ramp: 0` ends a ramp. */
export async function promoteVersion(client: Client, req: PromoteRequest, identity = 'cvmflow-cli'): Promise<PromoteResult> {
  const r = PromoteSchema.parse(req);
  const namespace = client.options.namespace;
  const d = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName: r.deploymentName });
  const info = d.workerDeploymentInfo;
  const known = (info?.versionSummaries ?? []).map((s) => ({ buildId: s.deploymentVersion?.buildId ?? '', created: iso(s.createTime) ?? '' }));
  const buildId = r.buildId ?? known.sort((a, b) => b.created.localeCompare(a.created))[0]?.buildId;
  if (!buildId) throw new Error(`deployment ${r.deploymentName} has no versions yet: start a worker of the new build first`);
  if (!known.some((k) => k.buildId === buildId)) {
    throw new Error(`deployment ${r.deploymentName} has no version with build id ${buildId} (known: ${known.map((k) => k.buildId).join(', ') || 'none'}): start a worker of that build first, or pick one from \`cvmflow deploy status\``);
  }
  const previousCurrent = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  if (r.ramp === undefined) {
    await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: r.deploymentName, buildId, conflictToken: d.conflictToken, identity });
    return { buildId, action: 'made-current', previousCurrent };
  }
  if (r.ramp > 0 && buildId === previousCurrent) throw new Error(`${buildId} is already the current version: ramp another version, or promote without --ramp`);
  await client.workflowService.setWorkerDeploymentRampingVersion({ namespace, deploymentName: r.deploymentName, buildId: r.ramp === 0 ? '' : buildId, percentage: r.ramp, conflictToken: d.conflictToken, identity });
  return { buildId, action: r.ramp === 0 ? 'ramp-removed' : 'ramping', percentage: r.ramp, previousCurrent };
}
