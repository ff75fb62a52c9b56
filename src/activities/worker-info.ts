// A diagnostic activity: which worker picked up the task and how its providers are wired (no secrets).
export interface WorkerInfo {
  taskQueue: string;
  pid: number;
  providers: Record<'phala' | 'prism' | 'cudo', 'real' | 'sandbox' | 'disabled'>;
}

export function createWorkerInfoActivities(info: Omit<WorkerInfo, 'pid'>) {
  return {
    async cvmflowWorkerInfo(): Promise<WorkerInfo> {
      return { ...info, pid: process.pid };
    },
  };
}
