// Build B of the upgrade test (test/integration/upgrade.test.ts): the production workflows, with two changes a
// real release could make. teardownCvm gains a step after the deletion, behind patched() as every change to an
// AUTO_UPGRADE workflow must be (a teardown that started on build A and waited replays on B, then takes the new
// step); createCudoVm, PINNED, calls a new activity first without a patch (its runs never change builds).
// Both new calls are `cvmflowWorkerInfo`, whose result names the worker process that ran it.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../../src/activities';
import type { CreateCudoVmInput, CreateCudoVmResult } from '../../../../src/contract/cudo';
import type { TeardownCvmInput, TeardownCvmResult } from '../../../../src/contract/teardown';
import { createCudoVm as createCudoVmA, teardownCvm as teardownCvmA } from '../../../../src/workflows';
import { versioningBehavior } from '../../../../src/workflows/support/versioning';

export * from '../../../../src/workflows';

/** The patch id build B introduces in teardownCvm. */
export const UPGRADE_PATCH = 'upgrade-b-report-worker';
const { cvmflowWorkerInfo } = proxyActivities<Activities>({ startToCloseTimeout: '20s' });

export async function teardownCvm(raw: TeardownCvmInput): Promise<TeardownCvmResult> {
  const result = await teardownCvmA(raw);
  if (patched(UPGRADE_PATCH)) await cvmflowWorkerInfo();
  return result;
}

export async function createCudoVm(raw: CreateCudoVmInput): Promise<CreateCudoVmResult> {
  await cvmflowWorkerInfo();
  return createCudoVmA(raw);
}

versioningBehavior('AUTO_UPGRADE', teardownCvm);
versioningBehavior('PINNED', createCudoVm);
