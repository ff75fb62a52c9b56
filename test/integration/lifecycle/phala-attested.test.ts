// provisionPhalaCvm attests before it reports ready, on the dev server against the Phala sandbox (its TDX chain
// trusted only because this worker runs the sandbox): verified with the attestation in the result; each sandbox
// fault fails the lifecycle with the failing check named and leaves no CVM behind; an unproven CVM is never ready.
import { WorkflowFailedError } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../../src/contract/workflow-ids';
import type { ProvisionPhalaCvmResult } from '../../../src/contract/phala';
import type { PhalaAttestationFault } from '../../../src/sandbox/phala';
import { useLifecycleWorker } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const ctx = useLifecycleWorker('phala-attested', 50);

const compose = 'services:\n  web:\n    image: nginx\n';
const fast = { pollInterval: '200ms', runningDeadline: '60s', providerCallTimeout: '10s' };
const sandbox = () => ctx.env.sandboxes.phala.sandbox;
const liveNamed = (name: string) => sandbox().cvms().filter((c) => c.name === name);
const nameOf = (prefix: string) => unique(prefix).replace(/[^a-z0-9-]/g, '');

function provision(name: string, extra: object = {}): Promise<ProvisionPhalaCvmResult> {
  return ctx.t.client.workflow.execute('provisionPhalaCvm', { taskQueue: ctx.taskQueue, workflowId: lifecycleWorkflowId('phala', name), args: [{ name, composeFile: compose, ...fast, ...extra }] });
}

async function failure(p: Promise<unknown>): Promise<{ type?: string; message: string; details?: unknown[] }> {
  const err = await p.then(
    () => {
      throw new Error('the lifecycle succeeded; it should have failed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { type?: string; message: string; details?: unknown[] };
  return cause;
}

afterEach(() => {
  sandbox().clearAttestationFaults();
  sandbox().setCollateralOutage(false);
});

test('verified before ready: the verdict, the pinned key provider and the attest step are in the result', async () => {
  const name = nameOf('attested');
  const result = await provision(name);
  expect(result.status).toBe('running');
  expect(result.attestation).toMatchObject({ result: 'verified', keyProvider: { name: 'kms', id: sandbox().kmsRootKeyId() } });
  const verdict = (result.attestation as unknown as { verdict: { result: string; format: string; measurements: Record<string, string> } }).verdict;
  expect(verdict).toMatchObject({ result: 'verified', format: 'dstack' });
  expect(verdict.measurements['dstack.compose_hash']).toBe(result.composeHash);
  expect(verdict.measurements['dstack.api.vm_uuid']).toBe(result.vmUuid);
  const status = (await ctx.t.client.workflow.getHandle(lifecycleWorkflowId('phala', name)).query('status')) as { history: Array<{ step: string }> };
  const steps = status.history.map((h) => h.step);
  expect(steps.indexOf('attest')).toBeGreaterThan(steps.indexOf('wait-running'));
  expect(liveNamed(name)).toHaveLength(1);
});

test.each<[PhalaAttestationFault, string]>([
  ['wrong-compose-hash', 'dstack.compose_hash'],
  ['tampered-payload', 'dstack.rtmr3'],
  ['rtmr-mismatch', 'dstack.rtmr'],
])('sandbox fault %s: AttestationFailed naming %s, and no CVM left behind', async (fault, check) => {
  const name = nameOf(fault.slice(0, 8));
  sandbox().setAttestationFault({ cvm: name, fault });
  const cause = await failure(provision(name));
  expect(cause.type).toBe('AttestationFailed');
  expect(cause.message).toContain(check);
  expect(cause.message).toMatch(/compensated: deleted Phala CVM/);
  expect(liveNamed(name)).toHaveLength(0);
});

test('offline evidence stays undetermined: fails closed after the attestation deadline, no CVM left behind', async () => {
  const name = nameOf('offline');
  sandbox().setAttestationFault({ cvm: name, fault: 'offline' });
  const cause = await failure(provision(name, { attestation: { deadline: '3s' } }));
  expect(cause.type).toBe('AttestationUndetermined');
  expect(cause.message).toMatch(/could not be checked within 3s, so it is not reported ready/);
  expect(liveNamed(name)).toHaveLength(0);
});

test('Intel PCS (collateral) down: undetermined, never verified; fails closed', async () => {
  const name = nameOf('nopcs');
  sandbox().setCollateralOutage(true);
  const cause = await failure(provision(name, { attestation: { deadline: '2s' } }));
  expect(cause.type).toBe('AttestationUndetermined');
  expect(cause.message).toMatch(/could not be checked/);
  expect(liveNamed(name)).toHaveLength(0);
});

test('attestation can be turned off only with a reason, which the result records', async () => {
  const bad = await failure(provision(nameOf('noreason'), { attestation: { verify: false } }));
  expect(bad.type).toBe('InvalidWorkflowInput');
  expect(bad.message).toMatch(/attestation\.skipReason/);

  const name = nameOf('skipped');
  const reason = 'dev CVM for a UI demo, holds no data';
  const result = await provision(name, { attestation: { verify: false, skipReason: reason } });
  expect(result.attestation).toEqual({ result: 'skipped', reason });
  expect(sandbox().server.calls('phalaGetAppAttestations').filter((c) => JSON.stringify(c).includes(result.appId!.replace(/^app_/, '')))).toHaveLength(0);
});
