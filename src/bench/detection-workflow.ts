// The detection benchmark's workflows: one wait as a lifecycle's wait step runs it (awaitCvmState, or Phala's
// watch as provisionPhalaCvm runs it), and the workflow's own time once the step is done (the activation that
// delivers the result).
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

/** provisionPhalaCvm's wait: the watch with a 5 s stream interval (its default poll interval gives 5). */
export async function benchWatchRunning(input: BenchAwaitInput): Promise<number> {
  const { phalaWatchCvmState } = proxyActivities<Activities>({
    scheduleToCloseTimeout: '2 minutes',
    heartbeatTimeout: 15_000, // what provisionPhalaCvm gives its watch at a 5 s interval
    retry: { maximumAttempts: 1 },
  });
  await phalaWatchCvmState({ id: input.cvmId, target: 'running', interval: 5, timeout: 120, ...(input.requestBudget ? { requestBudget: input.requestBudget } : {}) });
  return Date.now();
}
