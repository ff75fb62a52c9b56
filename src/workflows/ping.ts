// `pingCvmflow`: proves a worker is polling the task queue and reports how it is wired.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { cvmflowWorkerInfo } = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

export async function pingCvmflow(): Promise<Awaited<ReturnType<Activities['cvmflowWorkerInfo']>>> {
  return cvmflowWorkerInfo();
}
