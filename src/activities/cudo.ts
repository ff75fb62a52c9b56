// CUDO Compute activities: one per documented endpoint (src/providers/cudo/endpoints.ts), each validating its input
// and converting provider errors through callProvider. Inputs and results are plain JSON and hold no secrets:
// create takes no `password` (it would land in workflow history), connect returns the VNC URL without its token.
// Two provider quirks are absorbed here because Temporal retries activities:
//  - create answered 504 (or timed out) yet created the VM: the retry gets 409 ALREADY_EXISTS; when the existing VM
//    carries the metadata this create asked for, it is ours and the create succeeds with `alreadyExisted: true`;
//  - terminate of a VM that is already gone (404) succeeds with `alreadyGone: true`.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { CudoClient } from '../providers/cudo/client';
import { ProviderError } from '../providers/http/errors';
import * as s from '../providers/cudo/schemas';
import { classifyCudoGone, classifyCudoVm, type CudoVmClassification } from '../contract/rules/cudo';
import { callProvider } from './provider-failure';
import { FailureTypes } from '../contract/failures';

const empty = z.object({}).optional().default({});

/**
 * Create input: CreateVMBody without `password` (a secret; strict, so a stray `password` is refused, not dropped).
 * A VM password travels by reference, `passwordRef`, resolved inside the activity by `resolveSecret`.
 */
export const cudoCreateVmInput = z.strictObject({ ...s.createVmBodySchema.omit({ password: true }).shape, passwordRef: z.string().min(1).optional() });
export type CudoCreateVmInput = z.input<typeof cudoCreateVmInput>;

export type CudoCreateVmResult = s.CreateVmResponse & { alreadyExisted: boolean; lifecycle: CudoVmClassification };
export type CudoGetVmResult = s.GetVmResponse & { lifecycle: CudoVmClassification };

function isConflict(err: unknown): err is ProviderError {
  return err instanceof ProviderError && err.kind === 'conflict' && (err.code === 'ALREADY_EXISTS' || err.status === 409);
}

/** The VM behind a duplicate vmId is ours when it carries every metadata entry (and the data center) we asked for. */
function isOurs(input: z.output<typeof cudoCreateVmInput>, vm: s.Vm): boolean {
  const wanted = Object.entries(input.metadata ?? {});
  if (wanted.length === 0) return false; // nothing to prove ownership with
  const have = vm.metadata ?? {};
  const dc = vm.datacenterId ?? (vm as { dataCenterId?: string }).dataCenterId;
  return wanted.every(([k, v]) => have[k] === v) && (dc === undefined || dc === '' || dc === input.dataCenterId);
}

export interface CudoActivityOptions {
  /** Resolves a `passwordRef` (e.g. `env:CVMFLOW_SECRET_X`) to the secret; without it a `passwordRef` is refused. */
  resolveSecret?: (ref: string) => Promise<string>;
}

export function createCudoActivities(client: CudoClient, options: CudoActivityOptions = {}) {
  return {
    async cudoCountVms(input?: Record<string, never>) {
      return callProvider('cudoCountVms', empty, input, (_i, signal) => client.countVms({ signal }));
    },

    async cudoListPrivateImages(input?: z.input<typeof s.listPrivateImagesParams>) {
      return callProvider('cudoListPrivateImages', s.listPrivateImagesParams.optional().default({}), input, (i, signal) => client.listPrivateImages(i, { signal }));
    },

    async cudoCreatePrivateImage(input: z.input<typeof s.createPrivateImageParams>) {
      return callProvider('cudoCreatePrivateImage', s.createPrivateImageParams, input, (i, signal) => client.createPrivateImage(i, { signal }));
    },

    async cudoGetPrivateImage(input: { id: string }) {
      return callProvider('cudoGetPrivateImage', s.imageIdParams, input, (i, signal) => client.getPrivateImage(i, { signal }));
    },

    async cudoDeletePrivateImage(input: { id: string }) {
      return callProvider('cudoDeletePrivateImage', s.imageIdParams, input, (i, signal) => client.deletePrivateImage(i, { signal }));
    },

    async cudoUpdatePrivateImage(input: z.input<typeof s.updatePrivateImageParams>) {
      return callProvider('cudoUpdatePrivateImage', s.updatePrivateImageParams, input, (i, signal) => client.updatePrivateImage(i, { signal }));
    },

    async cudoCreateVm(input: CudoCreateVmInput): Promise<CudoCreateVmResult> {
      return callProvider('cudoCreateVm', cudoCreateVmInput, input, async ({ passwordRef, ...i }, signal) => {
        let password: string | undefined;
        if (passwordRef !== undefined) {
          if (!options.resolveSecret) throw ApplicationFailure.create({ message: 'cudoCreateVm: passwordRef given but this worker has no secret resolver', type: FailureTypes.InvalidActivityInput, nonRetryable: true });
          try {
            password = await options.resolveSecret(passwordRef);
          } catch {
            throw ApplicationFailure.create({ message: `cudoCreateVm: secret ${passwordRef} could not be resolved`, type: FailureTypes.SecretUnavailable, nonRetryable: true });
          }
        }
        try {
          const r = await client.createVm(password !== undefined ? { ...i, password } : i, { signal });
          return { ...r, alreadyExisted: false, lifecycle: classifyCudoVm(r.vm ?? { state: 'PENDING' }) };
        } catch (err) {
          if (!isConflict(err) || i.validateOnly) throw err;
          // Duplicate vmId: after a 504/timeout our first attempt may have created it (notes §8.1-2).
          const existing = await client.findVm({ id: i.vmId }, { signal });
          if (!existing || !isOurs(i, existing.VM)) throw err;
          return { id: existing.VM.id, vm: existing.VM, alreadyExisted: true, lifecycle: classifyCudoVm(existing.VM) };
        }
      });
    },

    async cudoUpdateVmMetadata(input: z.input<typeof s.updateVmMetadataParams>) {
      return callProvider('cudoUpdateVmMetadata', s.updateVmMetadataParams, input, (i, signal) => client.updateVmMetadata(i, { signal }));
    },

    async cudoAttachSecurityGroup(input: z.input<typeof s.securityGroupParams>) {
      return callProvider('cudoAttachSecurityGroup', s.securityGroupParams, input, (i, signal) => client.attachSecurityGroup(i, { signal }));
    },

    async cudoDetachSecurityGroup(input: z.input<typeof s.securityGroupParams>) {
      return callProvider('cudoDetachSecurityGroup', s.securityGroupParams, input, (i, signal) => client.detachSecurityGroup(i, { signal }));
    },

    async cudoListVms(input?: z.input<typeof s.listVmsParams>) {
      return callProvider('cudoListVms', s.listVmsParams.optional().default({}), input, (i, signal) => client.listVms(i, { signal }));
    },

    async cudoGetVm(input: { id: string }): Promise<CudoGetVmResult> {
      return callProvider('cudoGetVm', s.vmIdParams, input, async (i, signal) => {
        const r = await client.getVm(i, { signal });
        return { ...r, lifecycle: classifyCudoVm(r.VM) };
      });
    },

    /** The VNC URL only: the token is a credential and would be stored in workflow history. */
    async cudoConnectVm(input: z.input<typeof s.connectVmParams>) {
      return callProvider('cudoConnectVm', s.connectVmParams, input, async (i, signal) => {
        const { token, ...rest } = await client.connectVm(i, { signal });
        return { ...rest, tokenIssued: token !== '' };
      });
    },

    async cudoListVmDisks(input: { id: string }) {
      return callProvider('cudoListVmDisks', s.vmIdParams, input, (i, signal) => client.listVmDisks(i, { signal }));
    },

    async cudoResizeVmDisk(input: z.input<typeof s.resizeVmDiskParams>) {
      return callProvider('cudoResizeVmDisk', s.resizeVmDiskParams, input, (i, signal) => client.resizeVmDisk(i, { signal }));
    },

    async cudoMonitorVm(input: { id: string }) {
      return callProvider('cudoMonitorVm', s.vmIdParams, input, (i, signal) => client.monitorVm(i, { signal }));
    },

    async cudoRebootVm(input: { id: string }) {
      return callProvider('cudoRebootVm', s.vmIdParams, input, (i, signal) => client.rebootVm(i, { signal }));
    },

    async cudoStartVm(input: { id: string }) {
      return callProvider('cudoStartVm', s.vmIdParams, input, (i, signal) => client.startVm(i, { signal }));
    },

    async cudoStopVm(input: { id: string }) {
      return callProvider('cudoStopVm', s.vmIdParams, input, (i, signal) => client.stopVm(i, { signal }));
    },

    /** Idempotent: a VM that is already gone (404) counts as terminated. */
    async cudoTerminateVm(input: { id: string }): Promise<{ alreadyGone: boolean; lifecycle: CudoVmClassification }> {
      return callProvider('cudoTerminateVm', s.vmIdParams, input, async (i, signal) => {
        try {
          await client.terminateVm(i, { signal });
          return { alreadyGone: false, lifecycle: classifyCudoVm({ state: 'DELETING', shortState: 'epil' }) };
        } catch (err) {
          if (err instanceof ProviderError && err.kind === 'not_found') return { alreadyGone: true, lifecycle: classifyCudoGone() };
          throw err;
        }
      });
    },

    async cudoResizeVm(input: z.input<typeof s.resizeVmParams>) {
      return callProvider('cudoResizeVm', s.resizeVmParams, input, (i, signal) => client.resizeVm(i, { signal }));
    },

    async cudoListDataCenters(input?: z.input<typeof s.listDataCentersParams>) {
      return callProvider('cudoListDataCenters', s.listDataCentersParams.optional().default({}), input, (i, signal) => client.listDataCenters(i, { signal }));
    },

    async cudoListGpuModels(input?: Record<string, never>) {
      return callProvider('cudoListGpuModels', empty, input, (_i, signal) => client.listGpuModels({ signal }));
    },

    async cudoListMachineTypes(input?: Record<string, never>) {
      return callProvider('cudoListMachineTypes', empty, input, (_i, signal) => client.listMachineTypes({ signal }));
    },

    async cudoListPublicImages(input?: Record<string, never>) {
      return callProvider('cudoListPublicImages', empty, input, (_i, signal) => client.listPublicImages({ signal }));
    },
  };
}

export type CudoActivities = ReturnType<typeof createCudoActivities>;
