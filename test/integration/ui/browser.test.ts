// The Temporal UI as people see it, in headless Chromium: `npm start`'s production entry point with the codec on
// (dev server with its Web UI, the codec server beside it, the worker, the sandbox), lifecycles started through
// cvmflow/client, then the UI's workflow list filtered by CvmProvider and a lifecycle's page with its summary,
// current details, search attributes and its input decoded through the codec server, while the history the
// server stores stays ciphertext. Screenshots go to .screenshots/ui (git-ignored).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CvmflowClient } from '../../../src/client';
import { freePort } from '../../../src/worker/dev-server';
import { testKey, writeKeysFile } from '../../support/codec';
import { historyText } from '../../support/lifecycle';
import { unique } from '../../support/temporal';

const root = resolve(__dirname, '..', '..', '..');
const shots = join(root, '.screenshots', 'ui');
const dir = mkdtempSync(join(tmpdir(), 'cvmflow-ui-'));
const keys = writeKeysFile(dir, 'keys.json', [testKey('ui-2025-06', 0x5a, '2025-06-01T00:00:00Z')]);
const LABEL_VALUE = 'team-confidential-payments';
const COMPOSE_MARKER = 'registry.internal.example/confidential-billing:7.3';
/** The flags this machine's Chromium needs (no network: background networking misbehaves without them). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let cvmflowProcess: ChildProcess;
let output = '';
let ui: string;
let codecUrl: string;
let address: string;
let client: CvmflowClient;
let browser: BrowserContext;
let page: Page;
const codecAnswers: Array<{ url: string; status: number }> = [];
const vmId = unique('ui').toLowerCase();
const appName = unique('uiapp').toLowerCase().replace(/[^a-z0-9-]/g, '');
let publicIp: string;

async function waitForOutput(what: RegExp, ms = 90_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = what.exec(output);
    if (m) return m;
    if (cvmflowProcess.exitCode !== null) throw new Error(`cvmflow exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (!process.env.CVMFLOW_TEST_CHROMIUM) throw new Error(process.env.CVMFLOW_TEST_CHROMIUM_ERROR ?? 'cvmflow: Chromium is missing: run `node scripts/ensure-chromium.cjs` as root');
  mkdirSync(shots, { recursive: true });
  const [port, uiPort, codecPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TEMPORAL_CLI: process.env.CVMFLOW_TEST_TEMPORAL_CLI,
    CVMFLOW_DATA_DIR: join(dir, 'data'),
    CVMFLOW_DEV_SERVER_PORT: String(port),
    CVMFLOW_DEV_UI_PORT: String(uiPort),
    CVMFLOW_DEV_CODEC_SERVER_PORT: String(codecPort),
    CVMFLOW_CODEC_KEYS_FILE: keys.path,
    CVMFLOW_SANDBOX_SPEED: '50',
    CVMFLOW_LOG_FORMAT: 'json',
  };
  cvmflowProcess = spawn(process.execPath, [join(root, 'lib', 'worker', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  cvmflowProcess.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  cvmflowProcess.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  ui = (await waitForOutput(/Temporal UI: (http:\/\/\S+?)\/namespaces\/default\/workflows/))[1]!;
  codecUrl = (await waitForOutput(/codec: +(http:\/\/\S+) \(payloads encrypted with key ui-2025-06\)/))[1]!;
  address = (await waitForOutput(/address: +(\S+)/))[1]!;
  expect(codecUrl).toBe(`http://127.0.0.1:${codecPort}`);

  client = await CvmflowClient.connect({ env: { HOME: dir, TEMPORAL_ADDRESS: address, CVMFLOW_CODEC_KEYS_FILE: keys.path } });
  const cudo = await client.startCreateCudoVm({ vmId, dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4, labels: { owner: LABEL_VALUE }, ttl: '1h', pollInterval: '200ms' });
  const phala = await client.startProvisionPhalaCvm({ name: appName, composeFile: `services:\n  billing:\n    image: ${COMPOSE_MARKER}\n`, pollInterval: '200ms' });
  publicIp = ((await cudo.result()) as { publicIpAddress: string }).publicIpAddress;
  await phala.result();

  browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), { executablePath: process.env.CVMFLOW_TEST_CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 } });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('response', (r) => {
    if (r.url().startsWith(codecUrl)) codecAnswers.push({ url: r.url(), status: r.status() });
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await client?.close();
  if (cvmflowProcess && cvmflowProcess.exitCode === null) {
    const exited = new Promise((r) => cvmflowProcess.once('exit', r));
    cvmflowProcess.kill('SIGTERM');
    await exited;
  }
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
/** Text inside the UI's rendered-markdown frames (summary, details, current details). */
async function framesText(): Promise<string> {
  const texts = await Promise.all(page.frames().filter((f) => f !== page.mainFrame()).map((f) => f.locator('body').innerText().catch(() => '')));
  return texts.join('\n');
}
async function eventually(read: () => Promise<string>, expected: string[], ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  let text = '';
  while (Date.now() < deadline) {
    text = await read();
    if (expected.every((e) => text.includes(e))) return text;
    await page.waitForTimeout(300);
  }
  return text;
}

test('the workflow list filtered by CvmProvider shows the CUDO lifecycle and its teardown, not the Phala one', async () => {
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent("CvmProvider = 'cudo'")}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('link', { name: `cvm/cudo/${vmId}`, exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: `teardown/cudo/${vmId}`, exact: true }).waitFor({ timeout: 30_000 });
  await shot('1-list-filtered-by-provider');
  expect(await page.getByText('CvmProvider', { exact: false }).count()).toBeGreaterThan(0);
  expect(await page.getByRole('link', { name: `cvm/phala/${appName}`, exact: true }).count()).toBe(0);
  // Unfiltered, the Phala lifecycle is there: the filter, not an empty server, hid it.
  await page.goto(`${ui}/namespaces/default/workflows`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('link', { name: `cvm/phala/${appName}`, exact: true }).waitFor({ timeout: 30_000 });
});

test("a lifecycle's page: input and result decoded through the codec server, summary, current details, search attributes", async () => {
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent("CvmProvider = 'cudo'")}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('link', { name: `cvm/cudo/${vmId}`, exact: true }).click();
  const main = () => page.locator('main').innerText();
  const history = await eventually(main, [LABEL_VALUE, publicIp, 'createCudoVm']);
  await shot('2-lifecycle-input-and-result');
  expect(history).toContain(`"owner": "${LABEL_VALUE}"`);
  expect(history).toContain(`"publicIpAddress": "${publicIp}"`);
  expect(history).toContain(`cvm/cudo/${vmId}`);

  await page.getByRole('tab', { name: 'User Metadata' }).click();
  const metadata = await eventually(framesText, [`Create CUDO VM ${vmId}`, 'step: done']);
  await shot('3-lifecycle-summary-and-current-details');
  expect(metadata).toContain(`Create CUDO VM ${vmId} (2 vCPU, 4 GiB, gb-bournemouth-1, ttl 1h)`);
  expect(metadata).toMatch(/step: done/);
  expect(metadata).toContain('provider status: ACTIVE');

  await page.getByRole('tab', { name: 'Search Attributes' }).click();
  const attributes = await eventually(main, ['"CvmProvider": "cudo"', '"CvmStep": "done"']);
  await shot('4-lifecycle-search-attributes');
  for (const expected of ['"CvmProvider": "cudo"', `"CvmName": "${vmId}"`, `"CvmId": "${vmId}"`, '"CvmStatus": "ACTIVE"', '"CvmStep": "done"', '"CvmTeardownAt"']) expect(attributes).toContain(expected);

  // The browser got those payloads from the codec server (CORS passed): decoded there, not by the server.
  expect(codecAnswers.filter((a) => a.url.endsWith('/decode') && a.status === 200).length).toBeGreaterThan(0);
  expect(codecAnswers.filter((a) => a.status >= 400)).toEqual([]);
});

test('the Phala compose file reads decoded in the UI while the stored history is ciphertext', async () => {
  await page.goto(`${ui}/namespaces/default/workflows`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('link', { name: `cvm/phala/${appName}`, exact: true }).click();
  const text = await eventually(() => page.locator('main').innerText(), [COMPOSE_MARKER]);
  await shot('5-phala-compose-decoded');
  expect(text).toContain(COMPOSE_MARKER);

  // What the server stores (read without the codec): none of what the browser just showed.
  const connection = await Connection.connect({ address });
  try {
    const raw = new Client({ connection });
    const phalaRaw = await historyText(raw, `cvm/phala/${appName}`);
    const cudoRaw = await historyText(raw, `cvm/cudo/${vmId}`);
    expect(phalaRaw).not.toContain(COMPOSE_MARKER);
    expect(phalaRaw.includes(Buffer.from('binary/encrypted').toString('base64'))).toBe(true);
    for (const leak of [LABEL_VALUE, publicIp, `Create CUDO VM ${vmId}`]) expect(cudoRaw).not.toContain(leak);
  } finally {
    await connection.close();
  }
});
