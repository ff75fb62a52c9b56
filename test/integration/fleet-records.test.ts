// The fleet scan reads visibility records without their memo: a record whose memo this worker cannot decode
// (written by a client with another codec key, or with a codec this worker does not run) is still listed, instead
// of failing the whole reconcile or re-attestation run.
import { randomBytes } from 'node:crypto';
import { createFleetActivities } from '../../src/activities/fleet';
import { CvmflowClient } from '../../src/client';
import { CodecKeyRing } from '../../src/codec';
import { CvmName, CvmProvider } from '../../src/contract/search-attributes';
import { lifecycleWorkflowId } from '../../src/contract/workflow-ids';
import { codecClient } from '../support/codec';
import { connectTestTemporal, unique, type TestTemporal } from '../support/temporal';

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTestTemporal();
});
afterAll(async () => {
  await t.close();
});

test('a lifecycle record with an encrypted memo is listed by a worker without that key', async () => {
  const ring = new CodecKeyRing([{ id: unique('k'), key: randomBytes(32), createdAt: '2026-12-01T00:00:00Z' }]);
  const vmId = unique('memo').toLowerCase();
  const workflowId = lifecycleWorkflowId('cudo', vmId);
  // never picked up (no worker polls this queue): only its visibility record matters
  const handle = await codecClient(t.client, ring).workflow.start('createCudoVm', {
    taskQueue: unique('nobody'),
    workflowId,
    args: [{ vmId }],
    memo: { labels: { team: 'payments' } },
    typedSearchAttributes: [{ key: CvmProvider, value: 'cudo' }, { key: CvmName, value: vmId }],
  });
  try {
    const acts = createFleetActivities({ temporalClient: t.client });
    let records: Array<{ workflowId: string }> = [];
    for (let i = 0; i < 100 && records.length === 0; i++) {
      records = (await acts.listCvmflowWorkflows({ query: `WorkflowId = '${workflowId}'` })).records;
      if (records.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(records.map((r) => r.workflowId)).toEqual([workflowId]);
    // and the client's listing (cvmflow list, tests) shows it too, without the labels it cannot read
    const listed = await new CvmflowClient(t.client).list({ types: ['createCudoVm'], provider: 'cudo', name: vmId });
    expect(listed.map((w) => w.workflowId)).toContain(workflowId);
  } finally {
    await handle.terminate('test done');
  }
});
