// The Temporal environment configuration, fully: with only a TOML profile (TEMPORAL_CONFIG_FILE +
// TEMPORAL_PROFILE), the production worker, the client library and the CLI all find the server's address and the
// profile's namespace (no embedded dev server is started); environment variables override the profile, flags
// and options override the environment.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CvmflowClient } from '../../src/client';
import { freePort, registerSearchAttributes } from '../../src/worker/dev-server';
import { runCvmflow } from '../support/cli';
import { startLifecycleEnv, type LifecycleEnv } from '../support/lifecycle';
import { testAddress, unique } from '../support/temporal';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../support/worker-process';

const dir = mkdtempSync(join(tmpdir(), 'cvmflow-profile-'));
const configFile = join(dir, 'temporal.toml');
const namespace = unique('profile-ns');
const taskQueue = unique('profile');
let env: LifecycleEnv;
let worker: WorkerProcess;
let deadAddress: string;

/** Only the profile: no TEMPORAL_ADDRESS, no TEMPORAL_NAMESPACE, and a HOME without a config of its own. */
const profileEnv = { HOME: dir, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cvmflow-it' };

beforeAll(async () => {
  const cli = process.env.CVMFLOW_TEST_TEMPORAL_CLI!;
  const created = spawnSync(cli, ['operator', 'namespace', 'create', '--namespace', namespace, '--address', testAddress()], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`namespace create failed: ${created.stderr}`);
  registerSearchAttributes(cli, testAddress(), namespace);
  deadAddress = `127.0.0.1:${await freePort()}`;
  // The default profile points nowhere useful: only the selected profile may be used.
  writeFileSync(configFile, `[profile.default]\naddress = "${deadAddress}"\n\n[profile.cvmflow-it]\naddress = "${testAddress()}"\nnamespace = "${namespace}"\n`);
  env = await startLifecycleEnv(50);
  const wenv = workerEnv(env, taskQueue, profileEnv);
  delete wenv.TEMPORAL_ADDRESS;
  delete wenv.TEMPORAL_NAMESPACE;
  worker = await startWorkerProcess(wenv);
}, 240_000); // the worker may take up to 120 s to start on a loaded machine
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

const cudoSpec = (vmId: string) => ({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, pollInterval: '200ms', activeDeadline: '60s', providerCallTimeout: '10s' });

test('the worker takes address and namespace from the profile and starts no dev server', () => {
  const started = worker.output().split('\n').find((l) => l.includes('cvmflow worker started'))!;
  expect(JSON.parse(started)).toMatchObject({ address: testAddress(), namespace, taskQueue });
  expect(worker.output()).not.toContain('embedded Temporal dev server');
});

test('the client library: profile, then env over it, then options over env', async () => {
  const c = await CvmflowClient.connect({ env: { ...profileEnv, CVMFLOW_TASK_QUEUE: taskQueue } });
  try {
    expect(c.temporal.options.namespace).toBe(namespace);
    // The worker polling the profile's namespace runs it: both sides read the same profile.
    const vmId = unique('prof').toLowerCase();
    const started = await c.startCreateCudoVm(cudoSpec(vmId));
    expect(await started.result()).toMatchObject({ vmId, state: 'ACTIVE' });
  } finally {
    await c.close();
  }
  const envNs = await CvmflowClient.connect({ env: { ...profileEnv, TEMPORAL_NAMESPACE: 'default' } });
  expect(envNs.temporal.options.namespace).toBe('default');
  await envNs.close();
  const optNs = await CvmflowClient.connect({ env: { ...profileEnv, TEMPORAL_NAMESPACE: 'default' }, namespace });
  expect(optNs.temporal.options.namespace).toBe(namespace);
  await optNs.close();
  // TEMPORAL_ADDRESS over the profile's address (a dead port: the connection fails), the option over both.
  await expect(CvmflowClient.connect({ env: { ...profileEnv, TEMPORAL_ADDRESS: deadAddress }, connectTimeout: '1s' })).rejects.toThrow();
  const optAddr = await CvmflowClient.connect({ env: { ...profileEnv, TEMPORAL_ADDRESS: deadAddress }, address: testAddress(), connectTimeout: '2s' });
  expect(optAddr.temporal.options.namespace).toBe(namespace);
  await optAddr.close();
  // The file's default profile applies when no profile is named.
  await expect(CvmflowClient.connect({ env: { HOME: dir, TEMPORAL_CONFIG_FILE: configFile }, connectTimeout: '1s' })).rejects.toThrow();
});

test('the CLI: profile, then env over it, then flags over env', async () => {
  const vmId = unique('profcli').toLowerCase();
  const p = await runCvmflow(['provision', 'cudo', '--name', vmId, '--data-center-id', 'gb-bournemouth-1', '--machine-type', 'epyc-milan', '--boot-disk-image-id', 'ubuntu-2204', '--vcpus', '2', '--memory-gib', '4', '--poll-interval', '200ms', '--wait', '--json'], { ...profileEnv, CVMFLOW_TASK_QUEUE: taskQueue });
  expect(p.code).toBe(0);
  expect(JSON.parse(p.stdout)).toMatchObject({ workflowId: `cvm/cudo/${vmId}`, status: 'COMPLETED', result: { vmId, state: 'ACTIVE' } });

  const inProfile = await runCvmflow(['status', 'cudo', vmId, '--json'], profileEnv);
  expect(inProfile.code).toBe(0);
  expect(JSON.parse(inProfile.stdout)).toMatchObject({ workflowId: `cvm/cudo/${vmId}`, status: 'COMPLETED' });
  // TEMPORAL_NAMESPACE over the profile: the run is not in "default".
  const envNs = await runCvmflow(['status', 'cudo', vmId, '--json'], { ...profileEnv, TEMPORAL_NAMESPACE: 'default' });
  expect(envNs.code).toBe(1);
  expect(envNs.stderr).toMatch(/no workflow cvm\/cudo\/.* in this namespace/);
  // --namespace over TEMPORAL_NAMESPACE.
  expect((await runCvmflow(['status', 'cudo', vmId, '--json', '--namespace', namespace], { ...profileEnv, TEMPORAL_NAMESPACE: 'default' })).code).toBe(0);
  // TEMPORAL_ADDRESS over the profile's address, --address over TEMPORAL_ADDRESS.
  const envAddr = await runCvmflow(['status', 'cudo', vmId, '--json'], { ...profileEnv, TEMPORAL_ADDRESS: deadAddress });
  expect(envAddr.code).toBe(3);
  expect(envAddr.stderr).toContain(`cannot reach Temporal at ${deadAddress}`);
  expect((await runCvmflow(['status', 'cudo', vmId, '--json', '--address', testAddress()], { ...profileEnv, TEMPORAL_ADDRESS: deadAddress })).code).toBe(0);
  // --profile over TEMPORAL_PROFILE; a profile that does not exist is one usage line.
  const defaultProfile = await runCvmflow(['status', 'cudo', vmId, '--json', '--profile', 'default'], profileEnv);
  expect(defaultProfile.code).toBe(3);
  expect(defaultProfile.stderr).toContain(`cannot reach Temporal at ${deadAddress} (from profile default in ${configFile})`);
  const missing = await runCvmflow(['status', 'cudo', vmId], { ...profileEnv, TEMPORAL_PROFILE: 'nope' });
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe(`cvmflow: TEMPORAL_PROFILE: profile "nope" is not in ${configFile}: add a [profile.nope] table or choose another profile`);
});
