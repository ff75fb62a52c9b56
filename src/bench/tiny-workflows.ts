// The reference workflows of the worker-cost bench (src/bench/worker-cost.ts): as small as a TypeScript workflow
// gets, bundled on their own, so a minimal worker runs them beside cvmflow's production worker on one server.
import { defineSearchAttributeKey } from '@temporalio/common';
import { patched, proxyActivities, proxyLocalActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });
const local = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

const CvmStep = defineSearchAttributeKey('CvmStep', 'KEYWORD');

/** Parks on a timer, like a pending teardown (which shows its step the same way): one workflow task, then nothing
 * until the timer fires. */
export async function tinyPark(ms: number): Promise<void> {
  upsertSearchAttributes([{ key: CvmStep, value: 'scheduled' }]);
  await sleep(ms);
}

/**
 * No-op calls one after another: the Temporal floor of a lifecycle making as many calls of the same kinds in the same
 * order. `calls` is a number of activities, or a string with one letter per call: `A` an activity, `L` a local one,
 * `S` a search-attribute write (the step, as a lifecycle shows it), `P` a patch asked for (its marker and the SDK's
 * `TemporalChangeVersion` write, as a lifecycle's lean-history patch writes them).
 */
export async function tinyActivities(calls: number | string): Promise<void> {
  const kinds = typeof calls === 'number' ? 'A'.repeat(calls) : calls;
  let step = 0;
  for (const k of kinds) {
    if (k === 'S') upsertSearchAttributes([{ key: CvmStep, value: `step-${step++}` }]);
    else if (k === 'P') patched('bench-floor');
    else await (k === 'L' ? local.noop() : noop());
  }
}

/** The trivial workflow (one activity) whose rate is the ceiling lifecycles are compared with. */
export async function tinyPing(): Promise<void> {
  await noop();
}
