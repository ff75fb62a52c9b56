// createAttestedPrismCvm end to end: find-or-create, Online with evidence, verified with the sandbox root.
import { WorkflowFailedError } from '@temporalio/client';
import { CvmflowClient } from '../../../src/client';
import { CvmTeardownAt } from '../../../src/contract/search-attributes';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { recordHistory } from '../../support/histories';
import { historyText, useLifecycleWorker, waitForStep } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('prism', 50);

const fast = { pollInterval: '200ms', onlineDeadline: '120s', providerCallTimeout: '10s' };
const fastTeardown = { pollInterval: '200ms', gracefulTimeout: '0s', providerCallTimeout: '10s' };
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
  expect(history).toContain(`create ${name} (sev-snp, 2 vCPU)`);
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

// Ownership by identity: Prism allows two CVMs of one name, so a name never makes a CVM cvmflow's.
const sb = () => ctx.env.sandboxes.prism.sandbox;
const named = (name: string) => sb().cvms().filter((c) => c.name === name);
const createOutside = (name: string) => ctx.env.activities.prismCreateCvm({ name, provider: 'ultraviolet', vcpu: 2, ccPlatform: 'sev-snp', reuseExisting: false });
const failureOf = async (p: Promise<unknown>) => (await p.then(() => undefined).catch((e: unknown) => e)) as WorkflowFailedError;

test('a same-named CVM created outside cvmflow: create stops before creating, teardown by name refuses, the CVM is untouched', async () => {
  const name = unique('theirs');
  await createOutside(name);
  const [stranger] = named(name);
  const workflowId = lifecycleWorkflowId('prism', name);
  const err = await failureOf(ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, ttl: '1m', ...fast }] }));
  expect(err.cause).toMatchObject({ type: 'CvmNameTaken' });
  expect(err.cause!.message).toContain(stranger!.id);
  await recordHistory(ctx.t.client, workflowId, 'createAttestedPrismCvm', 'name-taken');
  // Nothing was created (no create call at all) and nothing was deleted or scheduled for deletion.
  expect(await historyText(ctx.t.client, workflowId)).not.toContain('"activityType":{"name":"prismCreateCvm"}');
  expect(named(name).map((c) => ({ id: c.id, gone: c.status === 'Inactive' }))).toEqual([{ id: stranger!.id, gone: false }]);
  await expect(ctx.t.client.workflow.getHandle(teardownWorkflowId('prism', name)).describe()).rejects.toThrow(/not found/i);

  const teardown = await failureOf(ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: unique('td'), args: [{ provider: 'prism', cvmName: name, ...fastTeardown }] }));
  expect(teardown.cause).toMatchObject({ type: 'CvmNotRecorded' });
  expect(named(name).filter((c) => c.status !== 'Inactive').map((c) => c.id)).toEqual([stranger!.id]);
});

test("a failed verification's compensation deletes the CVM this workflow created, not a same-named one that appeared meanwhile", async () => {
  const name = unique('race');
  const workflowId = lifecycleWorkflowId('prism', name);
  const wrongPolicy = { policy: { measurement: Buffer.alloc(48, 7).toString('base64') }, root_of_trust: { product_line: 'Milan' } };
  const handle = await ctx.t.client.workflow.start('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, policy: wrongPolicy, ...fast }] });
  await waitForStep(ctx.t.client, workflowId, 'wait-online');
  const ours = (await handle.query('status')) as { cvmId: string };
  await createOutside(name);
  const stranger = named(name).find((c) => c.id !== ours.cvmId)!;
  const err = await failureOf(handle.result());
  expect(err.cause).toMatchObject({ type: 'AttestationFailed' });
  expect(err.cause!.message).toContain(`compensated: deleted Prism CVM ${ours.cvmId}`);
  expect(sb().cvm(ours.cvmId)!.status).toBe('Inactive');
  expect(sb().cvm(stranger.id)!.status).not.toBe('Inactive');
});

test('teardown by name deletes the CVM its lifecycle recorded, never a same-named stranger', async () => {
  const name = unique('mine');
  const created = await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, ...fast }] });
  await createOutside(name);
  const stranger = named(name).find((c) => c.id !== created.cvmId)!;
  // The stranger is the newer one: a pick by name would take it.
  expect(sb().cvms().findIndex((c) => c.id === stranger.id)).toBeLessThan(sb().cvms().findIndex((c) => c.id === created.cvmId));
  const result = await ctx.t.client.workflow.execute('teardownCvm', { taskQueue: ctx.taskQueue, workflowId: teardownWorkflowId('prism', name), args: [{ provider: 'prism', cvmName: name, ...fastTeardown }] });
  expect(result).toMatchObject({ outcome: 'deleted', cvmId: created.cvmId });
  expect(sb().cvm(created.cvmId)!.status).toBe('Inactive');
  expect(sb().cvm(stranger.id)!.status).not.toBe('Inactive');
});

test('evidence of another platform than requested is rejected with the platform named', async () => {
  const name = unique('platform');
  sb().issueEvidenceAs('sev-snp');
  const err = await failureOf(ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('prism', name), args: [{ name, ccPlatform: 'tdx', ...fast }] }));
  expect(err.cause).toMatchObject({ type: 'AttestationFailed' });
  expect(err.cause!.message).toMatch(/platform \(the evidence is sev-snp, the CVM was requested as tdx\)/);
  const [verdict] = (err.cause as { details?: unknown[] }).details as Array<{ verified: boolean; result: string; checks: Array<{ name: string; result: string }> }>;
  expect(verdict).toMatchObject({ verified: false, result: 'failed' });
  expect(verdict!.checks.filter((c) => c.result === 'fail').map((c) => c.name)).toEqual(['platform']);
  expect(live(name)).toHaveLength(0);
});

test('a repeated start with ttl reports the real time of the teardown already scheduled', async () => {
  const name = unique('again');
  const workflowId = lifecycleWorkflowId('prism', name);
  const first = await ctx.t.client.workflow.execute('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, ttl: '1h', ...fast }] });
  const moved = new Date(Date.now() + 3 * 3_600_000).toISOString();
  await ctx.t.client.workflow.getHandle(first.teardown!.workflowId).executeUpdate('extendTeardown', { args: [{ teardownAt: moved }] });
  const again = ctx.t.client.workflow.getHandle((await ctx.t.client.workflow.start('createAttestedPrismCvm', { taskQueue: ctx.taskQueue, workflowId, args: [{ name, ttl: '1h', labels: { team: 'safety', ticket: 'issue-12' }, ...fast }] })).workflowId);
  const result = await again.result();
  // `labels` are recorded in the memo, which `cvmflow status` and the Temporal UI show.
  expect((await new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue }).describe(workflowId)).labels).toEqual({ team: 'safety', ticket: 'issue-12' });
  expect(result.cvmId).toBe(first.cvmId);
  expect(result.teardown).toEqual({ workflowId: first.teardown!.workflowId, teardownAt: moved });
  expect((await again.describe()).typedSearchAttributes.get(CvmTeardownAt)?.toISOString()).toBe(moved);
  expect(live(name)).toHaveLength(1);
  await ctx.t.client.workflow.getHandle(first.teardown!.workflowId).signal('cancelTeardown', { reason: 'test done' });
});
