// Shared set-up for the CUDO tests: a sandbox on 127.0.0.1:0, the real client and the activities pointed at it.
import { ApplicationFailure } from '@temporalio/common';
import { createCudoActivities } from '../../../../src/activities/cudo';
import { CudoClient } from '../../../../src/providers/cudo/client';
import type { CreateVmBody } from '../../../../src/providers/cudo/schemas';
import { SandboxClock } from '../../../../src/sandbox/http/clock';
import { createCudoSandbox, type CudoSandboxOptions } from '../../../../src/sandbox/cudo';

/** A clock tests move by hand (speed 1: advancing 25 s moves the state machine 25 s). */
export function manualClock(start = Date.UTC(2024, 2, 1, 12, 0, 0)) {
  let now = start;
  const clock = new SandboxClock(1, () => now);
  return {
    clock,
    advance(ms: number) {
      now += ms;
    },
  };
}

export async function startCudo(opts: CudoSandboxOptions = {}) {
  const sb = createCudoSandbox(opts);
  const url = await sb.server.listen(0);
  const client = new CudoClient({ baseUrl: url, apiKey: sb.apiKey, projectId: sb.projectId });
  const activities = createCudoActivities(client);
  return {
    sb,
    url,
    client,
    activities,
    async close() {
      await client.close();
      await sb.server.close();
    },
  };
}

/** Simulated ms from create to ACTIVE with the default timings. */
export const BOOT_MS = 3_000 + 6_000 + 6_000 + 10_000;

export function vmBody(vmId: string, extra: Partial<CreateVmBody> = {}): CreateVmBody {
  return {
    vmId,
    dataCenterId: 'gb-bournemouth-1',
    machineType: 'epyc-milan',
    bootDiskImageId: 'ubuntu-2204',
    vcpus: 2,
    memoryGib: 4,
    gpus: 0,
    bootDisk: { sizeGib: 20 },
    sshKeySource: 'SSH_KEY_SOURCE_NONE',
    customSshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ops@example'],
    metadata: { 'managed-by': 'cvmflow', 'workflow-id': `wf-${vmId}` },
    ...extra,
  };
}

/** Runs an activity call expected to fail and returns the ApplicationFailure. */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

/** The secret-free details callProvider attaches to a provider failure. */
export function detailsOf(f: ApplicationFailure): { kind: string; status?: number; code?: string; endpoint: string; retryAfterMs?: number } {
  return f.details?.[0] as { kind: string; status?: number; code?: string; endpoint: string; retryAfterMs?: number };
}
