// With codec keys configured, what the Temporal server stores is ciphertext: the raw history (read without the
// codec, by the SDK and by `temporal workflow show`) holds no compose file, IP address, label or evidence, while
// the same history decoded with the keys holds all of them. Key rotation keeps old runs readable; a missing key
// is named by id. The CLI and the codec server decode for people.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { codecDataConverter, CodecKeyRing } from '../../../src/codec';
import { startCodecServer } from '../../../src/codec/codec-server';
import { EncryptionCodec } from '../../../src/codec/payload-codec';
import { runCvmflow } from '../../support/cli';
import { codecClient, decodedPayloadTexts, payloadEncodings, rawHistoryJson, testKey, writeKeysFile } from '../../support/codec';
import { historyText, startLifecycleEnv, type LifecycleEnv } from '../../support/lifecycle';
import { connectTestTemporal, createTestWorker, testAddress, unique, type TestTemporal } from '../../support/temporal';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cvmflow-codec-it-'));
const january = testKey('2025-01', 0x11, '2025-01-01T00:00:00Z');
const february = testKey('2025-02', 0x22, '2025-02-01T00:00:00Z');
const keysV1 = writeKeysFile(dir, 'keys-v1.json', [january]);
const keysV2 = writeKeysFile(dir, 'keys-v2.json', [january, february]);
const onlyFebruary = new CodecKeyRing([february]);

const COMPOSE_MARKER = 'registry.internal.example/confidential-billing:7.3';
const LABEL_VALUE = 'team-confidential-payments';
const fast = { pollInterval: '200ms', providerCallTimeout: '10s' };

let t: TestTemporal;
let env: LifecycleEnv;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let client: Client;

beforeAll(async () => {
  t = await connectTestTemporal();
  env = await startLifecycleEnv(50);
  taskQueue = unique('codec');
  worker = await createTestWorker(t, { taskQueue, activities: env.activities, dataConverter: codecDataConverter(keysV1.ring) });
  running = worker.run();
  client = codecClient(t.client, keysV1.ring);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.close();
  await t?.close();
});

async function temporalCli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.env.CVMFLOW_TEST_TEMPORAL_CLI!, [...args, '--address', testAddress(), '--namespace', 'default'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The raw text a person with server access sees: JSON plus every payload's data base64-decoded. */
async function rawText(workflowId: string): Promise<string> {
  const sdk = await historyText(t.client, workflowId);
  const cli = await temporalCli('workflow', 'show', '--workflow-id', workflowId, '--output', 'json');
  const cliDecoded = [...cli.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return `${sdk}\n${cli}\n${cliDecoded.join('\n')}`;
}

test('the raw history of every lifecycle is ciphertext: no compose file, IP address, label or evidence', async () => {
  const phalaName = unique('conf').toLowerCase().replace(/[^a-z0-9-]/g, '');
  const vmId = unique('conf').toLowerCase();
  const prismName = unique('conf').toLowerCase();
  const composeFile = `services:\n  billing:\n    image: ${COMPOSE_MARKER}\n`;
  const labels = { owner: LABEL_VALUE };
  const [phala, cudo, prism] = await Promise.all([
    client.workflow.execute('provisionPhalaCvm', { taskQueue, workflowId: `cvm/phala/${phalaName}`, args: [{ name: phalaName, composeFile, labels, runningDeadline: '60s', ...fast }] }),
    client.workflow.execute('createCudoVm', { taskQueue, workflowId: `cvm/cudo/${vmId}`, args: [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, labels, activeDeadline: '60s', ...fast }] }),
    client.workflow.execute('createAttestedPrismCvm', { taskQueue, workflowId: `cvm/prism/${prismName}`, args: [{ name: prismName, labels, onlineDeadline: '60s', ...fast }] }),
  ]);
  expect(phala).toMatchObject({ provider: 'phala', status: 'running' });
  expect(prism).toMatchObject({ verdict: { verified: true } });
  const ip = (cudo as { publicIpAddress: string }).publicIpAddress;
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

  for (const [workflowId, leaks] of [
    [`cvm/phala/${phalaName}`, [COMPOSE_MARKER, 'confidential-billing', LABEL_VALUE]],
    [`cvm/cudo/${vmId}`, [ip, LABEL_VALUE]],
    // the evidence comes back in the CVM's record, a local activity's result (its marker holds no input)
    [`cvm/prism/${prismName}`, [LABEL_VALUE, '"attestation":"']],
  ] as const) {
    const raw = await rawHistoryJson(t.client, workflowId);
    const decoded = (await decodedPayloadTexts(raw, keysV1.ring)).join('\n');
    const plain = await rawText(workflowId);
    // Positive control: the keys reveal what the server cannot see.
    for (const leak of leaks) expect(decoded).toContain(leak);
    for (const leak of leaks) expect(plain).not.toContain(leak);
    // Every payload outside the search attributes is encrypted under the newest key.
    const encodings = payloadEncodings(raw);
    const encrypted = encodings.filter((e) => e.encoding === 'binary/encrypted');
    expect(encrypted.length).toBeGreaterThan(5);
    expect(new Set(encrypted.map((e) => e.keyId))).toEqual(new Set(['2025-01']));
    expect(encodings.filter((e) => e.encoding !== 'binary/encrypted').every((e) => e.encoding === 'json/plain')).toBe(true);
    if (workflowId.startsWith('cvm/prism/')) {
      const evidence = /"attestation":"([A-Za-z0-9+/=]{200,})"/.exec(decoded)?.[1];
      expect(evidence).toBeDefined();
      expect(plain).not.toContain(evidence!.slice(40, 120));
      expect(plain).not.toContain(Buffer.from(evidence!, 'base64').subarray(16, 48).toString('hex'));
    }
  }
  // The values the server stores in clear are only the search attributes (they must stay queryable).
  const sa = JSON.stringify((await client.workflow.getHandle(`cvm/cudo/${vmId}`).describe()).typedSearchAttributes);
  expect(sa).toContain(vmId);
  expect(sa).not.toContain(ip);
});

test('rotation: runs written with the old key stay readable, a running workflow continues under the new key', async () => {
  const q = unique('rotate');
  const oldWorker = await createTestWorker(t, { taskQueue: q, activities: env.activities, dataConverter: codecDataConverter(keysV1.ring) });
  const oldClient = codecClient(t.client, keysV1.ring);
  const vmId = unique('rot').toLowerCase();
  const cudoArgs = [{ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, activeDeadline: '60s', ...fast }];
  const waitingId = unique('rot-wait');
  await oldWorker.runUntil(async () => {
    await oldClient.workflow.execute('createCudoVm', { taskQueue: q, workflowId: `cvm/cudo/${vmId}`, args: cudoArgs });
    // Waits for a signal after its first round: its input is January's; it finishes after the rotation.
    const h = await oldClient.workflow.start('replaySubject', { taskQueue: q, workflowId: waitingId, args: [1] });
    for (let i = 0; i < 100 && !JSON.stringify(await h.fetchHistory()).includes('activityTaskCompletedEventAttributes'); i++) await new Promise((r) => setTimeout(r, 100));
  });

  // Rotate: February is added and is now the newest; January stays to decode.
  const newClient = codecClient(t.client, keysV2.ring);
  const newWorker = await createTestWorker(t, { taskQueue: q, activities: env.activities, dataConverter: codecDataConverter(keysV2.ring), maxCachedWorkflows: 0 });
  await newWorker.runUntil(async () => {
    await newClient.workflow.getHandle(waitingId).signal('release');
    expect(await newClient.workflow.getHandle(waitingId).result()).toBe(1);
  });
  const waitingKeys = payloadEncodings(await rawHistoryJson(t.client, waitingId)).map((e) => e.keyId);
  expect(waitingKeys[0]).toBe('2025-01'); // the workflow input
  expect(waitingKeys).toContain('2025-02'); // the signal and the result
  // The January run decodes with the rotated ring: its result and its input.
  expect(await newClient.workflow.getHandle(`cvm/cudo/${vmId}`).result()).toMatchObject({ vmId, state: 'ACTIVE' });
  const decoded = await decodedPayloadTexts(await rawHistoryJson(t.client, `cvm/cudo/${vmId}`), keysV2.ring);
  expect(decoded[0]).toContain(vmId);

  // A ring without January cannot read the January run, and says which key it lacks.
  const withoutJanuary = codecClient(t.client, onlyFebruary);
  await expect(withoutJanuary.workflow.getHandle(`cvm/cudo/${vmId}`).result()).rejects.toThrow(/codec key "2025-01", which is not in CVMFLOW_CODEC_KEYS_FILE \(it has "2025-02"\)/);
});

test('a worker without the key fails the workflow task with a message naming the key id, never the key', async () => {
  const q = unique('nokey');
  const id = unique('nokey');
  await codecClient(t.client, keysV1.ring).workflow.start('replaySubject', { taskQueue: q, workflowId: id, args: [1] });
  const blind = await createTestWorker(t, { taskQueue: q, activities: env.activities, dataConverter: codecDataConverter(onlyFebruary) });
  let failure = '';
  await blind.runUntil(async () => {
    for (let i = 0; i < 100 && !failure; i++) {
      const h = await t.client.workflow.getHandle(id).fetchHistory();
      failure = h.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
      if (!failure) await new Promise((r) => setTimeout(r, 100));
    }
  });
  await t.client.workflow.getHandle(id).terminate('test done');
  expect(failure).toMatch(/codec key "2025-01"/);
  expect(failure).not.toContain(january.key.toString('base64'));
});

describe('the CLI and the codec server', () => {
  const cvmflow = (args: string[], extraEnv: Record<string, string>) => runCvmflow(args, { HOME: dir, TEMPORAL_ADDRESS: testAddress(), CVMFLOW_TASK_QUEUE: taskQueue, ...extraEnv });

  test('cvmflow provision/status with CVMFLOW_CODEC_KEYS_FILE encrypt and decode; temporal --codec-endpoint decodes through the codec server', async () => {
    const vmId = unique('cli').toLowerCase();
    const flags = ['--name', vmId, '--data-center-id', 'gb-bournemouth-1', '--machine-type', 'epyc-milan', '--boot-disk-image-id', 'ubuntu-2204', '--vcpus', '2', '--memory-gib', '4', '--poll-interval', '200ms', '--provider-call-timeout', '10s', '--labels', `owner=${LABEL_VALUE}`];
    const p = await cvmflow(['provision', 'cudo', ...flags, '--wait', '--json'], { CVMFLOW_CODEC_KEYS_FILE: keysV1.path });
    expect(p.code).toBe(0);
    const result = (JSON.parse(p.stdout) as { result: { publicIpAddress: string } }).result;
    expect(result).toMatchObject({ vmId, state: 'ACTIVE' });
    const status = await cvmflow(['status', 'cudo', vmId, '--json'], { CVMFLOW_CODEC_KEYS_FILE: keysV1.path });
    expect(JSON.parse(status.stdout)).toMatchObject({ result: { publicIpAddress: result.publicIpAddress } });
    expect(await rawText(`cvm/cudo/${vmId}`)).not.toContain(LABEL_VALUE);
    // Without the keys the CLI says which key it would need.
    const blind = await cvmflow(['status', 'cudo', vmId, '--json'], {});
    expect(blind.code).not.toBe(0);
    expect(blind.stderr).toMatch(/codec key "2025-01", but no CVMFLOW_CODEC_KEYS_FILE is configured/);

    const token = 'codec-token-it-0123456789abcdef';
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const statuses: unknown[] = [];
    const server = await startCodecServer({ codec: new EncryptionCodec(keysV1.ring), host: '127.0.0.1', port: 0, allowedOrigins: [], token, log: (f) => statuses.push(f.status) });
    try {
      const shown = await temporalCli('workflow', 'show', '--workflow-id', `cvm/cudo/${vmId}`, '--output', 'json', '--codec-endpoint', server.url, '--codec-auth', `Bearer ${token}`);
      // The CLI prints the decoded payloads (json/plain) with their data in base64.
      const shownPayloads = [...shown.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
      expect(shown).not.toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // no payload is left as binary/encrypted
      expect(shownPayloads).toContain(LABEL_VALUE);
      expect(shownPayloads).toContain(result.publicIpAddress);
      expect(statuses).toContain(200);
      expect(statuses).not.toContain(401);
      // A wrong token: the codec server answers 401 and the temporal CLI gives up without decoded output.
      await expect(temporalCli('workflow', 'show', '--workflow-id', `cvm/cudo/${vmId}`, '--output', 'json', '--codec-endpoint', server.url, '--codec-auth', 'Bearer wrong')).rejects.toThrow(/Command failed/);
      expect(statuses).toContain(401);
    } finally {
      await server.close();
    }
  });

  test('cvmflow codec-server starts from env, answers with the token, and rejects without it', async () => {
    const tokenFile = join(dir, 'token2');
    writeFileSync(tokenFile, 'codec-token-two-0123456789\n', { mode: 0o600 });
    const child = spawn(process.execPath, [join(root, 'bin', 'cvmflow.cjs'), 'codec-server', '--listen', '127.0.0.1:0', '--ui-origin', 'http://127.0.0.1:8233'], {
      cwd: root,
      env: { PATH: process.env.PATH, CVMFLOW_CODEC_KEYS_FILE: keysV2.path, CVMFLOW_CODEC_SERVER_TOKEN_FILE: tokenFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      for (let i = 0; i < 100 && !/listening on (http\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      const url = /listening on (http\S+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(out).toMatch(/auth: token/);
      const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') }] });
      const denied = await fetch(`${url}/encode`, { method: 'POST', body });
      expect(denied.status).toBe(401);
      const ok = await fetch(`${url}/encode`, { method: 'POST', body, headers: { Authorization: 'Bearer codec-token-two-0123456789' } });
      expect(ok.status).toBe(200);
      const enc = (await ok.json()) as { payloads: Array<{ metadata: Record<string, string> }> };
      expect(Buffer.from(enc.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('2025-02');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
