// A deliberately incompatible edit of `replaySubject` (activity before timer): replaying its old
// history must fail, which proves the replay harness catches non-determinism.
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../../../src/activities';

const releaseSignal = defineSignal('release');
const { cvmflowWorkerInfo } = proxyActivities<Activities>({ startToCloseTimeout: '10s' });

export async function replaySubject(rounds: number): Promise<number> {
  let signals = 0;
  setHandler(releaseSignal, () => {
    signals += 1;
  });
  for (let i = 0; i < rounds; i++) {
    await cvmflowWorkerInfo();
    await sleep(10);
  }
  await condition(() => signals > 0, '10s');
  return signals;
}
