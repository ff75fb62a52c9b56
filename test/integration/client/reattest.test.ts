// reattestCvms destroys only on proof, on the dev server against the Phala sandbox, each assertion taken from the
// sandbox's own records: 30 managed CVMs with the collateral source down are undetermined and untouched; one
// tampered CVM is failed, confirmed by a second check and torn down; half the fleet tampered stops at the
// blast-radius limit; a failure that does not repeat on the second check tears nothing down; a same-named CVM
// that cvmflow did not create is never touched.
import { WorkflowFailedError } from '@temporalio/client';
import { createFleetActivities } from '../../../src/activities/fleet';
import { CvmflowClient } from '../../../src/client';
import type { ReattestCvmsResult } from '../../../src/contract/fleet';
import type { ProvisionPhalaCvmResult } from '../../../src/contract/phala';
import { lifecycleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('reattest', 50, (t) => createFleetActivities({ temporalClient: t.client }));
let cvmflow: CvmflowClient;
const sandbox = () => ctx.env.sandboxes.phala.sandbox;
const live = (name: string) => sandbox().cvms().some((c) => c.name === name);
const fast = { pollInterval: '200ms', runningDeadline: '60s', providerCallTimeout: '10s' };
const reattestInput = { providers: ['phala' as const], providerCallTimeout: '10s', teardownOnChange: true, confirmAfter: '1s' };

let fleet: ProvisionPhalaCvmResult[] = [];

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function visible(workflowIds: string[]): Promise<void> {
  await until('visibility of the lifecycles', async () => {
    const listed = new Set((await cvmflow.list({ types: ['provisionPhalaCvm'] })).filter((w) => w.status === 'COMPLETED').map((w) => w.workflowId));
    return workflowIds.every((id) => listed.has(id));
  });
}

async function reattest(extra: object = {}): Promise<{ workflowId: string; result: Promise<ReattestCvmsResult> }> {
  const run = await cvmflow.startReattestCvms({ ...reattestInput, ...extra }, { workflowId: unique('reattest') });
  return { workflowId: run.workflowId, result: run.result() as Promise<ReattestCvmsResult> };
}

/** Teardowns of this file's fleet (the dev server is shared with other test files that start their own). */
function teardownsStarted(): Promise<string[]> {
  const ours = new Set(fleet.map((f) => teardownWorkflowId('phala', f.name)));
  return cvmflow.list({ types: ['teardownCvm'] }).then((ws) => ws.map((w) => w.workflowId).filter((id) => ours.has(id)));
}

beforeAll(async () => {
  cvmflow = new CvmflowClient(ctx.t.client, { taskQueue: ctx.taskQueue });
  const names = Array.from({ length: 30 }, (_, i) => unique(`fleet${i}`).replace(/[^a-z0-9-]/g, ''));
  fleet = await Promise.all(
    names.map((name) => ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: `services:\n  ${name}:\n    image: nginx\n`, ...fast }] }) as Promise<ProvisionPhalaCvmResult>),
  );
  expect(fleet.every((r) => r.attestation?.result === 'verified')).toBe(true);
  await visible(names.map((n) => lifecycleWorkflowId('phala', n)));
}, 240_000);

afterEach(() => {
  sandbox().clearAttestationFaults();
  sandbox().setCollateralOutage(false);
});

test('collateral source down over 30 managed CVMs: 30 undetermined, 0 teardowns, the run marked undetermined', async () => {
  sandbox().setCollateralOutage(true);
  const before = await teardownsStarted();
  const run = await reattest();
  const result = await run.result;
  const mine = result.cvms.filter((c) => fleet.some((f) => f.cvmId === c.cvmId));
  expect(mine).toHaveLength(30);
  expect(mine.every((c) => c.managed && c.result === 'undetermined' && c.action === 'none' && c.teardownWorkflowId === null)).toBe(true);
  expect(result).toMatchObject({ undetermined: 30, failed: 0, tornDown: 0 });
  expect(fleet.every((f) => live(f.name))).toBe(true);
  expect(await teardownsStarted()).toEqual(before);
  const described = await ctx.t.client.workflow.getHandle(run.workflowId).describe();
  expect(described.searchAttributes.CvmAttestation).toEqual(['undetermined']);
}, 120_000);

test('one CVM tampered: failed, confirmed by a second fetch, torn down; the rest verified and untouched', async () => {
  const victim = fleet[0]!;
  sandbox().setAttestationFault({ cvm: victim.vmUuid!, fault: 'tampered-payload' });
  const result = await (await reattest()).result;
  const entry = result.cvms.find((c) => c.cvmId === victim.cvmId)!;
  expect(entry).toMatchObject({ managed: true, result: 'failed', confirmed: true, action: 'teardown-started', teardownWorkflowId: teardownWorkflowId('phala', victim.name) });
  expect(entry.failures).toContain('dstack.rtmr3');
  expect(result.cvms.filter((c) => c.cvmId !== victim.cvmId && fleet.some((f) => f.cvmId === c.cvmId)).every((c) => c.result === 'verified' && c.action === 'none')).toBe(true);
  expect(result.blastRadius).toEqual({ allowed: 3, taken: 1, refused: 0 });
  expect(await ctx.t.client.workflow.getHandle(teardownWorkflowId('phala', victim.name)).result()).toMatchObject({ outcome: 'deleted' });
  expect(live(victim.name)).toBe(false);
  expect(fleet.slice(1).every((f) => live(f.name))).toBe(true);
  fleet = fleet.slice(1);
}, 120_000);

test('a failure the second check does not repeat tears nothing down', async () => {
  const flapping = fleet[0]!;
  sandbox().setAttestationFault({ cvm: flapping.vmUuid!, fault: 'rtmr-mismatch' });
  const run = await reattest({ confirmAfter: '10s' });
  await until('the confirmation wait', async () => ((await ctx.t.client.workflow.getHandle(run.workflowId).query('status')) as { step: string }).step === 'confirm', 30_000);
  sandbox().clearAttestationFaults();
  const result = await run.result;
  expect(result.cvms.find((c) => c.cvmId === flapping.cvmId)).toMatchObject({ result: 'failed', confirmed: false, action: 'none', teardownWorkflowId: null });
  expect(live(flapping.name)).toBe(true);
}, 120_000);

test('half the fleet tampered: the blast-radius limit stops the run after the allowed number; the rest untouched; the run fails', async () => {
  const tampered = fleet.slice(0, Math.ceil(fleet.length / 2));
  for (const f of tampered) sandbox().setAttestationFault({ cvm: f.vmUuid!, fault: 'wrong-compose-hash' });
  const allowed = Math.max(1, Math.floor(fleet.length * 0.1));
  const run = await reattest();
  const err = await run.result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { type?: string; message: string; details?: unknown[] };
  expect(cause.type).toBe('BlastRadiusExceeded');
  expect(cause.message).toContain(`${allowed} of ${fleet.length} CVMs acted on (limit ${allowed}); ${tampered.length - allowed} more were due and left untouched`);
  const report = cause.details?.[0] as ReattestCvmsResult;
  const started = report.cvms.filter((c) => c.action === 'teardown-started');
  expect(started).toHaveLength(allowed);
  expect(report.cvms.filter((c) => c.action === 'refused-blast-radius')).toHaveLength(tampered.length - allowed);
  await Promise.all(started.map((c) => ctx.t.client.workflow.getHandle(c.teardownWorkflowId!).result()));
  const gone = fleet.filter((f) => !live(f.name));
  expect(gone.map((f) => f.cvmId).sort()).toEqual(started.map((c) => c.cvmId).sort());
  expect(gone.every((f) => tampered.includes(f))).toBe(true);
  fleet = fleet.filter((f) => live(f.name));
}, 180_000);

test('a same-named CVM cvmflow did not create (its lifecycle recorded another id) is never verified as ours nor touched', async () => {
  // cvmflow's CVM is deleted behind its back, and someone else deploys a CVM under the same name
  const original = fleet[fleet.length - 1]!;
  await ctx.env.activities.phalaDeleteCvm({ id: original.cvmId });
  await until('out-of-band delete', () => !live(original.name));
  const p = await ctx.env.activities.phalaProvisionCvm({ name: original.name, compose_file: { docker_compose_file: 'services:\n  theirs:\n    image: caddy\n' } });
  const stranger = await ctx.env.activities.phalaCommitCvm({ app_id: p.appId!, compose_hash: p.composeHash });
  await until('the stranger running', () => sandbox().stateOf(stranger.ref)?.status === 'running');
  sandbox().setAttestationFault({ cvm: stranger.ref, fault: 'tampered-payload' });

  const result = await (await reattest()).result;
  const entry = result.cvms.find((c) => c.cvmId === stranger.ref)!;
  expect(entry).toMatchObject({ managed: false, result: 'undetermined', action: 'none', teardownWorkflowId: null });
  expect(entry.failures.join(' ')).toMatch(/no cvmflow lifecycle recorded this CVM/);
  expect(sandbox().cvms().filter((c) => c.name === original.name)).toHaveLength(1);
  expect(sandbox().stateOf(stranger.ref)?.status).toBe('running');
}, 120_000);
