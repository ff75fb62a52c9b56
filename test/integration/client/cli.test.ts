// The `cvmflow` CLI driven as a user would: a spawned `node bin/cvmflow.cjs ...` against the dev server, with
// an in-process worker on a unique task queue.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { createFleetActivities } from '../../../src/activities/fleet';
import { vectorPath } from '../../unit/attestation/vectors';
import { runCvmflow, type CliRun } from '../../support/cli';
import { startLifecycleEnv, type LifecycleEnv } from '../../support/lifecycle';
import { connectTestTemporal, createTestWorker, testAddress, unique, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
let env: LifecycleEnv;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let dir: string;

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(50);
  taskQueue = unique('cli');
  worker = await createTestWorker(t, { taskQueue, activities: { ...env.activities, ...createFleetActivities({ temporalClient: t.client }) } });
  running = worker.run();
  dir = mkdtempSync(join(tmpdir(), 'cvmflow-cli-'));
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.close();
  await t.close();
});

type Run = CliRun;

/** Runs the CLI as a separate process (async, so the in-process worker keeps working meanwhile). */
const cvmflow = (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> =>
  runCvmflow(args, { HOME: process.env.HOME, TEMPORAL_ADDRESS: testAddress(), CVMFLOW_TASK_QUEUE: taskQueue, USER: 'cli-test', ...extraEnv });

const json = <T = Record<string, unknown>>(r: Run): T => JSON.parse(r.stdout) as T;
const vmIdOf = (prefix: string) => unique(prefix).toLowerCase();
const cudoFlags = (vmId: string) => ['--name', vmId, '--data-center-id', 'gb-bournemouth-1', '--machine-type', 'epyc-milan', '--boot-disk-image-id', 'ubuntu-2204', '--vcpus', '2', '--memory-gib', '4', '--poll-interval', '200ms', '--provider-call-timeout', '10s'];
const liveVm = (id: string) => {
  const vm = env.sandboxes.cudo.sandbox.vm(id);
  return vm && vm.state !== 'DELETED' ? vm : undefined;
};

test('provision cudo --wait --json, status, list, op, teardown --wait', async () => {
  const vmId = vmIdOf('cli');
  // The VM's looks (the one before the create, the first of the wait) answer after 1.5 s, so the wait step lasts
  // longer than the CLI's 500 ms between looks at the status, however fast the VM boots on a loaded machine.
  env.sandboxes.cudo.sandbox.server.faults.add({ endpoint: 'cudoGetVm', fault: { type: 'latency', ms: 1500 }, times: 2 });
  const p = await cvmflow(['provision', 'cudo', ...cudoFlags(vmId), '--metadata', 'team=infra', '--labels', 'owner=cli-test', '--wait', '--json']);
  expect(p.code).toBe(0);
  expect(json(p)).toMatchObject({ workflowId: `cvm/cudo/${vmId}`, status: 'COMPLETED', outcome: 'started', result: { vmId, state: 'ACTIVE' } });
  expect(p.stderr).toMatch(/step wait-active/);
  expect(liveVm(vmId)?.metadata).toMatchObject({ team: 'infra', 'managed-by': 'cvmflow' });

  const again = await cvmflow(['provision', 'cudo', ...cudoFlags(vmId), '--json']);
  expect(json(again)).toMatchObject({ outcome: 'already-completed' });

  const status = await cvmflow(['status', 'cudo', vmId, '--json']);
  expect(status.code).toBe(0);
  expect(json(status)).toMatchObject({ workflowId: `cvm/cudo/${vmId}`, status: 'COMPLETED', progress: { step: 'done' }, result: { state: 'ACTIVE' } });
  const readable = await cvmflow(['status', `cvm/cudo/${vmId}`]);
  expect(readable.stdout).toMatch(/^step\s+done$/m);
  expect(readable.stdout).toMatch(/^labels\s+owner=cli-test$/m);
  expect(json(status)).toMatchObject({ labels: { owner: 'cli-test' } });

  const list = await cvmflow(['list', '--provider', 'cudo', '--name', vmId, '--json']);
  expect(json<unknown[]>(list)).toEqual([expect.objectContaining({ workflowId: `cvm/cudo/${vmId}`, type: 'createCudoVm', status: 'COMPLETED' })]);
  const table = await cvmflow(['list', '--provider', 'cudo', '--name', vmId, '--status', 'completed']);
  expect(table.stdout).toMatch(/^WORKFLOW ID\s+TYPE\s+STATUS/);
  expect(table.stdout).toContain(`cvm/cudo/${vmId}`);

  const op = await cvmflow(['op', 'stop', 'cudo', vmId, '--reason', 'maintenance', '--poll-interval', '200ms', '--wait', '--json']);
  expect(op.code).toBe(0);
  expect(json(op)).toMatchObject({ status: 'COMPLETED', result: { action: 'stop', finalStatus: 'STOPPED', requestedBy: 'cli-test' } });

  const td = await cvmflow(['teardown', 'cudo', vmId, '--poll-interval', '200ms', '--wait']);
  expect(td.code).toBe(0);
  expect(td.stdout).toMatch(new RegExp(`teardown/cudo/${vmId} completed`));
  expect(td.stdout).toMatch(/"outcome": "deleted"/);
  expect(liveVm(vmId)).toBeUndefined();
});

test('provision from a YAML file, then watch until it ends; teardown --at, extend, cancel', async () => {
  const vmId = vmIdOf('file');
  const file = join(dir, `${vmId}.yaml`);
  writeFileSync(file, `vmId: ${vmId}\ndataCenterId: gb-bournemouth-1\nmachineType: epyc-milan\nbootDiskImageId: ubuntu-2204\nvcpus: 2\nmemoryGib: 4\npollInterval: 200ms\n`);
  const p = await cvmflow(['provision', 'cudo', '--file', file]);
  expect(p.code).toBe(0);
  expect(p.stdout).toMatch(new RegExp(`^started createCudoVm cvm/cudo/${vmId}`));
  const w = await cvmflow(['watch', 'cudo', vmId, '--interval', '200ms']);
  expect(w.code).toBe(0);
  expect(w.stdout).toMatch(/^\[\s*\d+s\] step /m);
  expect(w.stdout).toMatch(new RegExp(`cvm/cudo/${vmId} completed`));

  const later = new Date(Date.now() + 3_600_000).toISOString();
  const at = await cvmflow(['teardown', 'cudo', vmId, '--at', later, '--json']);
  expect(json(at)).toMatchObject({ workflowId: `teardown/cudo/${vmId}`, outcome: 'started' });
  const evenLater = new Date(Date.now() + 7_200_000).toISOString();
  const ext = await cvmflow(['teardown', 'extend', 'cudo', vmId, '--at', evenLater, '--json']);
  expect(ext.code).toBe(0);
  expect(json(ext)).toMatchObject({ teardownAt: evenLater });
  const past = await cvmflow(['teardown', 'extend', 'cudo', vmId, '--at', '2001-01-01T00:00:00Z']);
  expect(past.code).toBe(2);
  expect(past.stderr.trim()).toMatch(/not in the future$/);
  expect(past.stderr.trim().split('\n')).toHaveLength(1);
  const cancel = await cvmflow(['teardown', 'cancel', 'cudo', vmId, '--reason', 'still needed']);
  expect(cancel.code).toBe(0);
  expect(await t.client.workflow.getHandle(`teardown/cudo/${vmId}`).result()).toMatchObject({ outcome: 'cancelled', cancelReason: 'still needed' });
  expect(liveVm(vmId)?.state).toBe('ACTIVE');
  // A cancelled teardown does not block a later one.
  const now = await cvmflow(['teardown', 'cudo', vmId, '--poll-interval', '200ms', '--wait', '--json']);
  expect(json(now)).toMatchObject({ outcome: 'started', status: 'COMPLETED', result: { outcome: 'deleted' } });
  expect(liveVm(vmId)).toBeUndefined();
});

test('teardown of a CVM whose ttl teardown is scheduled moves it to now', async () => {
  const vmId = vmIdOf('ttl');
  const p = await cvmflow(['provision', 'cudo', ...cudoFlags(vmId), '--ttl', '1h', '--wait', '--json']);
  expect(json(p)).toMatchObject({ status: 'COMPLETED', result: { teardown: { workflowId: `teardown/cudo/${vmId}` } } });
  const td = await cvmflow(['teardown', 'cudo', vmId, '--wait', '--json']);
  expect(td.code).toBe(0);
  expect(json(td)).toMatchObject({ workflowId: `teardown/cudo/${vmId}`, outcome: 'attached', status: 'COMPLETED', result: { outcome: 'deleted' } });
  expect(liveVm(vmId)).toBeUndefined();
});

test('provision phala (compose from @file) and prism with --wait', async () => {
  const compose = join(dir, 'compose.yml');
  writeFileSync(compose, 'services:\n  web:\n    image: nginx\n');
  const name = unique('cliapp').toLowerCase();
  const phala = await cvmflow(['provision', 'phala', '--name', name, '--compose-file', `@${compose}`, '--poll-interval', '200ms', '--wait', '--json']);
  expect(phala.code).toBe(0);
  expect(json(phala)).toMatchObject({ result: { provider: 'phala', name, status: 'running' } });
  const cvm = unique('clicvm').toLowerCase();
  const prism = await cvmflow(['provision', 'prism', '--name', cvm, '--poll-interval', '200ms', '--wait']);
  expect(prism.code).toBe(0);
  expect(prism.stdout).toMatch(/^\[\s*\d+s\] step (find-or-create|wait-online)/m);
  expect(prism.stdout).toMatch(new RegExp(`cvm/prism/${cvm} completed`));
});

test('a failed workflow exits 1 with its reason on one line', async () => {
  const vmId = vmIdOf('fails');
  env.sandboxes.cudo.sandbox.failNextCreate(1);
  const r = await cvmflow(['provision', 'cudo', ...cudoFlags(vmId), '--wait']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(new RegExp(`cvm/cudo/${vmId} failed: .*FAILED`));
});

test('schedules apply creates, a second apply is a no-op, a change updates; list, pause, delete', async () => {
  const id = unique('reconcile');
  const file = join(dir, `${id}.yaml`);
  const yaml = (interval: string) => `schedules:\n  - id: ${id}\n    workflow: reconcileFleet\n    interval: ${interval}\n    args: { providers: [cudo] }\n    overlap: skip\n    catchupWindow: 1m\n    note: cli test\n`;
  writeFileSync(file, yaml('1h'));
  const first = await cvmflow(['schedules', 'apply', '--file', file, '--json']);
  expect(first.code).toBe(0);
  expect(json(first)).toEqual([{ id, workflow: 'reconcileFleet', outcome: 'created', changes: [] }]);
  const second = await cvmflow(['schedules', 'apply', '--file', file]);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(new RegExp(`^${id}\\s+reconcileFleet\\s+unchanged`, 'm'));
  writeFileSync(file, yaml('2h'));
  const third = await cvmflow(['schedules', 'apply', '--file', file, '--json']);
  expect(json(third)).toEqual([{ id, workflow: 'reconcileFleet', outcome: 'updated', changes: ['spec/action/policies'] }]);
  const d = await t.client.schedule.getHandle(id).describe();
  expect(d.spec.intervals?.[0]?.every).toBe(7_200_000);
  expect(d.policies.catchupWindow).toBe(60_000);
  expect(d.action).toMatchObject({ workflowType: 'reconcileFleet', taskQueue, workflowId: `schedule/${id}` });

  const list = await cvmflow(['schedules', 'list', '--json']);
  expect(json<unknown[]>(list)).toEqual(expect.arrayContaining([expect.objectContaining({ id, workflow: 'reconcileFleet', paused: false, managed: true, note: 'cli test' })]));
  expect((await cvmflow(['schedules', 'pause', id])).code).toBe(0);
  expect((await t.client.schedule.getHandle(id).describe()).state.paused).toBe(true);
  const reapply = await cvmflow(['schedules', 'apply', '--file', file, '--json']);
  expect(json(reapply)).toEqual([expect.objectContaining({ outcome: 'updated', changes: ['unpaused'] })]);
  expect((await cvmflow(['schedules', 'delete', id])).code).toBe(0);
  const gone = await cvmflow(['schedules', 'delete', id]);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/no schedule/);
});

test('attest verify: exit 0 for verified evidence, 1 for not verified', async () => {
  const policy = join(dir, 'empty-policy.json');
  writeFileSync(policy, '{}');
  const ok = await cvmflow(['attest', 'verify', '--evidence', vectorPath('snp-milan-trustee', 'test-report.bin'), '--policy', policy, '--cert', vectorPath('snp-milan-trustee', 'test-vcek.der'), '--at', '2026-11-22T00:00:00Z']);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^✔ verified: sev-snp/m);
  const bad = await cvmflow(['attest', 'verify', '--evidence', vectorPath('cocos', 'attestation.bin'), '--policy', vectorPath('cocos', 'attestation_policy.v0.8.2.json'), '--at', '2026-11-22T00:00:00Z', '--json']);
  expect(bad.code).toBe(1);
  expect(json(bad)).toMatchObject({ verified: false, failures: ['snp.signature'] });
  const usage = await cvmflow(['attest', 'verify', '--evidence']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toBe('cvmflow attest verify: --evidence needs a value\n');
});

test('bad flags, bad input files and an unreachable server give one clear line and a non-zero exit', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['list', '--bogus'], 2, /^cvmflow: list: unknown option --bogus/],
    [['frobnicate'], 2, /^cvmflow: unknown command "frobnicate"/],
    [['provision', 'aws'], 2, /unknown provider "aws"/],
    [['provision', 'cudo', '--name', 'Bad_Name', '--vcpus', '2'], 2, /^cvmflow: createCudoVm: invalid input: vmId: expected 1-63 lowercase.*dataCenterId: required/],
    [['provision', 'cudo', '--vcpus', 'two'], 2, /--vcpus: expected a number, got "two"/],
    [['provision', 'cudo', '--file', '/nonexistent/x.yaml'], 2, /--file \/nonexistent\/x\.yaml: cannot read file \(ENOENT\)/],
    [['op', 'explode', 'cudo', 'x'], 2, /unknown action "explode"/],
    [['teardown', 'cudo'], 2, /missing <name\|vmId>/],
    [['status'], 2, /missing <workflow-id>/],
    [['status', 'cudo', 'never-was'], 1, /no workflow cvm\/cudo\/never-was/],
    [['list', '--address', '127.0.0.1:1'], 3, /^cvmflow: cannot reach Temporal at 127\.0\.0\.1:1/],
  ];
  const badYaml = join(dir, 'bad.yaml');
  writeFileSync(badYaml, 'vmId: [unclosed\n');
  cases.push([['provision', 'cudo', '--file', badYaml], 2, /--file .*bad\.yaml: not valid JSON or YAML/]);
  const badSchedules = join(dir, 'bad-schedules.yaml');
  writeFileSync(badSchedules, 'schedules:\n  - id: x\n    workflow: reconcileFleet\n');
  cases.push([['schedules', 'apply', '--file', badSchedules], 2, /schedules apply: .*bad-schedules\.yaml: schedules\.0\.interval: give exactly one of interval or cron/]);
  for (const [args, code, message] of cases) {
    const r = await cvmflow(args);
    expect({ args, code: r.code }).toEqual({ args, code });
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
  const verbose = await cvmflow(['list', '--address', '127.0.0.1:1', '--verbose']);
  expect(verbose.code).toBe(3);
  expect(verbose.stderr.split('\n').length).toBeGreaterThan(2);
});

test('endpoints and help', async () => {
  const e = await cvmflow(['endpoints', '--json']);
  expect(json<unknown[]>(e).length).toBeGreaterThan(10);
  const h = await cvmflow(['--help']);
  expect(h.code).toBe(0);
  expect(h.stdout).toMatch(/^usage: cvmflow <command>/);
  expect((await cvmflow(['provision', '--help'])).stdout).toMatch(/--data-center-id/);
});

test('onchain submit delivers the registration to a waiting Phala lifecycle; a bad hash is one clear line', async () => {
  const name = unique('oc').replace(/[^a-z0-9-]/g, '');
  const deployer = `0x${'d'.repeat(40)}`;
  const started = await cvmflow(['provision', 'phala', '--file', writeJson({ name, composeFile: 'services: {}\n', kms: { type: 'base', deployerAddress: deployer }, pollInterval: '200ms', onChainDeadline: '60s' }), '--json']);
  expect(started.code).toBe(0);
  const sb = env.sandboxes.phala.sandbox;
  for (let i = 0; i < 300 && !sb.pendingProvisions().some((p) => p.name === name); i++) await new Promise((r) => setTimeout(r, 20));
  const pending = sb.pendingProvisions().find((p) => p.name === name)!;
  const reg = sb.registerOnChain({ compose_hash: pending.composeHash, kms: 'BASE', deployer_address: deployer, allow_any_device: true });
  // The update is accepted only while the lifecycle waits in await-onchain.
  for (let i = 0; i < 100; i++) {
    const s = json<{ step?: string }>(await cvmflow(['status', `cvm/phala/${name}`, '--json']));
    if (s.step === 'await-onchain') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const bad = await cvmflow(['onchain', 'submit', name, '--tx', '0x12', '--app', reg.contract_address]);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/transactionHash: expected 0x followed by 64 hex digits/);
  const ok = await cvmflow(['onchain', 'submit', name, '--tx', reg.transaction_hash, '--app', reg.contract_address, '--json']);
  expect(ok.code).toBe(0);
  expect(json(ok)).toMatchObject({ accepted: true, composeHash: expect.any(String) });
  const result = await t.client.workflow.getHandle(`cvm/phala/${name}`).result();
  expect(result).toMatchObject({ status: 'running', transactionHash: reg.transaction_hash });
});

function writeJson(value: unknown): string {
  const file = join(dir, `${unique('input')}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}
