// `pingCvmflow`: proves a worker is polling the task queue and reports how it is wired.
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { cvmflowWorkerInfo } = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

export async function pingCvmflow(): Promise<Awaited<ReturnType<Activities['cvmflowWorkerInfo']>>> {
  const info = await cvmflowWorkerInfo();
  log.info('cvmflow worker answered', { taskQueue: info.taskQueue, providers: info.providers });
  return info;
}
