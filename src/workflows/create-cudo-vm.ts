// `createCudoVm`: GET before create (the vmId is ours to choose) → create, reconciled by GET on 409 or a
// 504 that still created it → ACTIVE; a VM that ends FAILED is terminated and the workflow fails with why.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { CreateCudoVmInputSchema, cvmflowMetadata, type CreateCudoVmInput, type CreateCudoVmParams, type CreateCudoVmResult } from '../contract/cudo';
import { Compensations } from './support/compensation';
import { failLifecycle } from './support/failure';
import { parseWorkflowInput } from './support/input';
import { creating, heartbeatFor, leanHistory, providerActivities, readActivities, summarizedWait, type LifecycleActivities } from './support/options';
import { Progress } from './support/progress';
import { providerPort } from './support/provider-port';
import { scheduleTeardown } from './support/teardown-child';
import { FailureTypes } from '../contract/failures';
import { CUDO_EXPIRES_AT } from '../contract/rules/cudo';

export async function createCudoVm(raw: CreateCudoVmInput): Promise<CreateCudoVmResult> {
  const input = parseWorkflowInput('createCudoVm', CreateCudoVmInputSchema, raw);
  const lean = leanHistory();
  const progress = new Progress('cudo', { cvmId: input.vmId, cvmName: input.vmId }, lean);
  const compensations = new Compensations();
  const acts = providerActivities(input.providerCallTimeout);
  const reads = readActivities(progress, input.providerCallTimeout);
  const metadata = { ...input.metadata, ...cvmflowMetadata(workflowInfo().workflowId) };
  try {
    progress.step('look-before-create');
    const adopted = await existingVm(reads, input, metadata);
    if (!adopted) {
      progress.step('create');
      const created = await acts.cudoCreateVm.executeWithOptions(creating(lean, input.providerCallTimeout, `create VM ${input.vmId} in ${input.dataCenterId} (${input.machineType})`), [createBody(input, { ...metadata, ...leaseMark(input) })]);
      progress.update({ providerStatus: created.lifecycle.state });
    } else progress.update({ providerStatus: adopted });
    compensations.add(`terminated CUDO VM ${input.vmId}`, async () => {
      await providerPort('cudo').delete(acts, input.vmId, input.pollInterval);
    });

    progress.step('wait-active');
    const active = await acts.awaitCvmState.executeWithOptions(summarizedWait(input.activeDeadline, heartbeatFor(input.pollInterval), `wait until ${input.vmId} is ACTIVE`), [
      { provider: 'cudo', cvmId: input.vmId, target: 'running', pollIntervalMs: input.pollInterval },
    ]);
    progress.update({ providerStatus: active.status });

    let teardown: CreateCudoVmResult['teardown'] = null;
    if (input.ttl) {
      progress.step('schedule-teardown');
      teardown = await scheduleTeardown(lean, { provider: 'cudo', key: input.vmId, cvmId: input.vmId, ttlMs: input.ttl, pollIntervalMs: input.pollInterval, providerCallTimeoutMs: input.providerCallTimeout });
      progress.update({ teardownAt: teardown.teardownAt });
    }
    progress.finish('done');
    const fact = (k: string) => (typeof active.facts[k] === 'string' ? (active.facts[k] as string) : null);
    return {
      provider: 'cudo',
      vmId: input.vmId,
      state: active.status,
      dataCenterId: fact('dataCenterId') ?? input.dataCenterId,
      publicIpAddress: fact('publicIpAddress'),
      internalIpAddress: fact('internalIpAddress'),
      adopted: adopted !== undefined,
      teardown,
    };
  } catch (err) {
    throw await failLifecycle(err, input.keepOnFailure, compensations, progress);
  }
}

/** The VM's state when a VM with our id and our marks exists; undefined when there is none; an error if it is not ours. */
async function existingVm(reads: LifecycleActivities, input: CreateCudoVmParams, metadata: Record<string, string>): Promise<string | undefined> {
  const o = await reads.observeCvm({ provider: 'cudo', cvmId: input.vmId });
  if (o.class === 'gone') return undefined;
  const vm = (await reads.cudoGetVm({ id: input.vmId })).VM as { metadata?: Record<string, string> | null };
  const ours = Object.entries(metadata).every(([k, v]) => vm.metadata?.[k] === v);
  if (!ours) throw ApplicationFailure.create({ message: `a CUDO VM with id ${input.vmId} already exists and was not created by this workflow; choose another vmId`, type: FailureTypes.VmIdTaken, nonRetryable: true });
  return o.status;
}

/** With a `ttl`, the lease end goes on the VM too (`cvmflow-expires-at`, from the create on): the reconciler's lease of
 * last resort, for a VM whose Temporal records were lost. Not part of the ownership marks compared on a retry. */
function leaseMark(input: CreateCudoVmParams): Record<string, string> {
  return input.ttl ? { [CUDO_EXPIRES_AT]: new Date(Date.now() + input.ttl).toISOString() } : {};
}

function createBody(input: CreateCudoVmParams, metadata: Record<string, string>) {
  return {
    vmId: input.vmId,
    dataCenterId: input.dataCenterId,
    machineType: input.machineType,
    bootDiskImageId: input.bootDiskImageId,
    vcpus: input.vcpus,
    memoryGib: input.memoryGib,
    gpus: input.gpus,
    ...(input.gpuModel ? { gpuModel: input.gpuModel } : {}),
    ...(input.bootDiskSizeGib ? { bootDisk: { sizeGib: input.bootDiskSizeGib } } : {}),
    ...(input.sshKeys.length ? { customSshKeys: input.sshKeys, sshKeySource: 'SSH_KEY_SOURCE_NONE' as const } : {}),
    ...(input.passwordRef ? { passwordRef: input.passwordRef } : {}),
    ...(input.startScript ? { startScript: input.startScript } : {}),
    ...(input.securityGroupIds.length ? { securityGroupIds: input.securityGroupIds } : {}),
    metadata,
  };
}
