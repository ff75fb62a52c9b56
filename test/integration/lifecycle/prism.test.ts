// createAttestedPrismCvm end to end: find-or-create, Online with evidence, verified with the sandbox root.
import { WorkflowFailedError } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../../src/contract/workflow-ids';
import { recordHistory } from '../../support/histories';
import { historyText, useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('prism', 50);

const fast = { pollInterval: '200ms', onlineDeadline: '60s', providerCallTimeout: '10s' };
const live = (name: string) => ctx.env.sandboxes.prism.sandbox.cvms().filter((c) => c.name === name && c.status !== 'Inactive');

test('create → online → evidence + policy → verified', async () => {
  const name = unique('cvm');
  const workflowId = lifecycleWorkflowId('prism', name);
  const result = await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, ...fast }] });
  expect(result).toMatchObject({ provider: 'prism', name, status: 'Online', ccPlatform: 'sev-snp', verdict: { verified: true, platform: 'sev-snp' } });
  expect(result.verdict.checks.filter((c: { result: string }) => c.result === 'fail')).toEqual([]);
  expect(live(name)).toHaveLength(1);
  // Activity summaries, shown by the Temporal UI for each step.
  const history = await historyText(ctx.t.client, workflowId);
  expect(history).toContain(`find or create ${name} (sev-snp, 2 vCPU)`);
  expect(history).toContain("verify sev-snp evidence against Prism's policy");
  await recordHistory(ctx.t.client, workflowId, 'createAttestedPrismCvm', 'verified');
});

test('an existing CVM of that name is found instead of creating another', async () => {
  const name = unique('twice');
  await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, ...fast }] });
  const again = await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, ...fast }] });
  expect(again.verdict.verified).toBe(true);
  expect(live(name)).toHaveLength(1);
});

test('an attestation mismatch deletes the CVM and fails with every failed check', async () => {
  const name = unique('bad');
  const wrongPolicy = { policy: { measurement: Buffer.alloc(48, 7).toString('base64') }, root_of_trust: { product_line: 'Milan' } };
  const err = (await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, policy: wrongPolicy, ...fast }] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toMatchObject({ type: 'AttestationFailed' });
  expect(err.cause!.message).toMatch(/snp\.policy\.measurement/);
  expect(err.cause!.message).toMatch(/compensated: deleted Prism CVM/);
  expect(live(name)).toHaveLength(0);
});

test('tampered evidence fails the signature check and is never reported ready', async () => {
  const name = unique('tamper');
  const workflowId = lifecycleWorkflowId('prism', name);
  const handle = await ctx.t.client.workflow.start('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, ...fast }] });
  // Tamper as soon as the CVM exists, before it is online and its evidence is read.
  const sb = ctx.env.sandboxes.prism.sandbox;
  for (let i = 0; i < 500 && !sb.cvms().some((c) => c.name === name); i++) await new Promise((r) => setTimeout(r, 5));
  await sb.tamperEvidence(sb.cvms().find((c) => c.name === name)!.id);
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'AttestationFailed' });
  expect(err.cause!.message).toMatch(/snp\.signature/);
  expect(live(name)).toHaveLength(0);
});

test('a failed boot fails the workflow and cleans up', async () => {
  const name = unique('noboot');
  ctx.env.sandboxes.prism.sandbox.failBoot({ next: true }, 'Failed');
  const err = (await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, ...fast }] }).catch((e: unknown) => e)) as WorkflowFailedError;
  expect(err.cause).toMatchObject({ type: 'CvmFailed' });
  expect(live(name)).toHaveLength(0);
});
