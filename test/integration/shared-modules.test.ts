// The workflow bundle evaluates zod, the contract and the workflow modules once per worker and shares them
// (src/workflows/shared-modules.ts, issue 16): every workflow sees the shared records, and the schemas in them
// still work (the SDK's deep freeze must not reach them).
import { connectTestTemporal, createTestWorker, unique, type TestTemporal } from '../support/temporal';
import type { SharedModulesReport } from '../support/workflows/shared-modules-probe';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTestTemporal();
});
afterAll(async () => t.close());

test('workflows share the preloaded contract, and its schemas validate in every workflow', async () => {
  const taskQueue = unique('shared-modules');
  const worker = await createTestWorker(t, { taskQueue, activities: {} });
  const reports = await worker.runUntil(
    Promise.all([1, 2, 3].map(() => t.client.workflow.execute<() => Promise<SharedModulesReport>>('sharedModulesProbe', { taskQueue, workflowId: unique('shared-modules') }))),
  );
  for (const r of reports) {
    expect(r).toEqual({ recordShared: true, schemaFrozen: false, validParses: true, invalidMessage: expect.stringMatching(/^pollInterval: /) });
  }
});
