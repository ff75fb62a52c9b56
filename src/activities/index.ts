// Every activity the worker registers, built from its dependencies (so tests can hand in others).
import { createWorkerInfoActivities, type WorkerInfo } from './worker-info';

export interface ActivityDependencies {
  workerInfo: Omit<WorkerInfo, 'pid'>;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createWorkerInfoActivities(deps.workerInfo),
  };
}

export type Activities = ReturnType<typeof createActivities>;
