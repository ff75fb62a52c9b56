// The detection benchmark's only workflow: one awaitCvmState, as a lifecycle's wait step runs it, and the
// workflow's own time once the step is done (the activation that delivers the result).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export interface BenchAwaitInput {
  provider: 'phala' | 'prism' | 'cudo';
  cvmId: string;
  pollIntervalMs: number;
  maxPollIntervalMs?: number;
  requestBudget?: number;
}

export async function benchAwaitRunning(input: BenchAwaitInput): Promise<number> {
  const { awaitCvmState } = proxyActivities<Activities>({
    scheduleToCloseTimeout: '2 minutes',
    heartbeatTimeout: Math.max(2_000, input.pollIntervalMs * 3 + 1_000), // what the lifecycles give their waits
    retry: { maximumAttempts: 1 },
  });
  await awaitCvmState({ ...input, target: 'running' });
  return Date.now();
}
