// Every release's golden histories (test/histories/<release>/) replay against the current workflow code; a
// change that would break running workflows fails here first, with the workflow, the release and the fix.
// A deliberately changed workflow proves the harness can fail.
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import * as workflows from '../../src/workflows';
import { loadGoldenSet, recordHistory, releases, replayFailures } from '../support/histories';
import { connectTestTemporal, createTestWorker, testBundle, unique, type TestTemporal } from '../support/temporal';
import { releaseSignal } from '../support/workflows/foundation';

const golden = loadGoldenSet();
let t: TestTemporal;
beforeAll(async () => {
  t = await connectTestTemporal();
});
afterAll(async () => t.close());

test('the histories folder holds releases only, every recorded history is still there or retired with a reason', () => {
  expect(releases().length).toBeGreaterThan(0);
  expect(golden.problems).toEqual([]);
});

test('every production workflow type has at least one golden history', () => {
  const recorded = new Set(golden.histories.map((g) => g.workflowType));
  expect(Object.keys(workflows).filter((name) => !recorded.has(name))).toEqual([]);
});

test("every release's golden histories replay against the current code", async () => {
  expect(golden.histories.length).toBeGreaterThan(0);
  expect(await replayFailures(testBundle(), golden.histories)).toEqual([]);
});

test('a history recorded now replays, and fails against an incompatible change', async () => {
  const taskQueue = unique('replay');
  const activities = createActivities({ workerInfo: { taskQueue, providers: { phala: 'sandbox', prism: 'sandbox', cudo: 'sandbox' } } });
  const worker = await createTestWorker(t, { taskQueue, activities });
  const workflowId = unique('replay-subject');
  await worker.runUntil(async () => {
    const handle = await t.client.workflow.start('replaySubject', { taskQueue, workflowId, args: [2] });
    await handle.signal(releaseSignal);
    expect(await handle.result()).toBe(1);
  });
  await recordHistory(t.client, workflowId, 'replaySubject', 'two-rounds');
  const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: testBundle() }, history, workflowId);

  const changed = await bundleWorkflowCode({ workflowsPath: require.resolve('../support/workflows/changed'), logger: quiet });
  await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, workflowId)).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
});

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
