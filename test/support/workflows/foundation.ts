// Workflows used by foundation tests: a durable wait that must survive restarts, and a replay subject.
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../../src/activities';

export const releaseSignal = defineSignal('release');

/** Waits until signalled: proves a run survives a server restart. */
export async function waitForRelease(): Promise<string> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  await condition(() => released);
  return 'released';
}

const { cvmflowWorkerInfo } = proxyActivities<Activities>({ startToCloseTimeout: '10s' });

/** A timer, a signal and an activity: enough shape for the replay harness to catch a change in order. */
export async function replaySubject(rounds: number): Promise<number> {
  let signals = 0;
  setHandler(releaseSignal, () => {
    signals += 1;
  });
  for (let i = 0; i < rounds; i++) {
    await sleep(10);
    await cvmflowWorkerInfo();
  }
  await condition(() => signals > 0, '10s');
  return signals;
}
