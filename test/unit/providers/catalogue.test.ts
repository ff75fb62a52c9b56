// The endpoint list of the provider docs is the contract: every documented endpoint must have an activity,
// registered on the worker. The docs are parsed here, so an endpoint added to them fails this test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createActivities } from '../../../src/activities';
import { ENDPOINT_CATALOGUE } from '../../../src/providers/catalogue';

const docsDir = resolve(__dirname, '..', '..', '..', '..', 'shared', 'provider-docs');
const METHOD = '(GET|POST|PUT|PATCH|DELETE)';

/** `METHOD /path` pairs as the docs write them (inline, on two lines, or in a curl example). */
function documentedEndpoints(): Array<{ provider: string; key: string }> {
  const out = new Map<string, string>();
  for (const file of readdirSync(docsDir)) {
    const provider = file.startsWith('phala') ? 'phala' : file.startsWith('ultraviolet') ? 'prism' : file.startsWith('cudo') ? 'cudo' : undefined;
    if (!provider) continue;
    const lines = readFileSync(resolve(docsDir, file), 'utf8').split('\n');
    const add = (method: string, path: string) => {
      const clean = path.replace(/[.,;:]+$/, '');
      if (clean.length > 1) out.set(`${provider} ${method} ${normalise(clean)}`, provider); // "/" alone is a page header fragment
    };
    lines.forEach((line, i) => {
      for (const m of line.matchAll(new RegExp(`(?:^|returned by )${METHOD} (/[^\\s?]*)`, 'g'))) add(m[1]!, m[2]!);
      if (new RegExp(`^${METHOD}$`).test(line.trim()) && lines[i + 1]?.trim().startsWith('/')) add(line.trim(), lines[i + 1]!.trim());
      const curl = new RegExp(`curl --request ${METHOD}`).exec(line);
      const url = curl && /--url https?:\/\/[^/]+\/api\/v1(\/\S*)/.exec(lines[i + 1] ?? '');
      if (curl && url) add(curl[1]!, url[1]!);
    });
  }
  return [...out].map(([key, provider]) => ({ provider, key }));
}

/** Parameter names differ between docs and code ({cvmId}, {cvm_id}, {id}); only their places matter. */
function normalise(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}').replace(/\/+$/, '');
}

const documented = documentedEndpoints();
const keyOf = (e: (typeof ENDPOINT_CATALOGUE)[number]) => `${e.provider} ${e.method} ${normalise(e.path)}`;
const catalogued = new Set(ENDPOINT_CATALOGUE.map(keyOf));

test('the docs list 42 endpoints: 11 Phala, 6 Prism, 25 CUDO', () => {
  const count = (p: string) => documented.filter((d) => d.provider === p).length;
  expect([count('phala'), count('prism'), count('cudo')]).toEqual([11, 6, 25]);
});

test('every documented endpoint has an entry in the catalogue', () => {
  expect(documented.map((d) => d.key).filter((k) => !catalogued.has(k))).toEqual([]);
  expect(ENDPOINT_CATALOGUE.filter((e) => !e.beyondDocs)).toHaveLength(42);
});

test('endpoints beyond the docs are marked, really absent from the docs, and described in the provider notes they name', () => {
  const beyond = ENDPOINT_CATALOGUE.filter((e) => e.beyondDocs);
  expect(beyond.map((e) => e.activity)).toEqual(['phalaGetCvmAttestation', 'phalaGetAppAttestations']);
  const documentedKeys = new Set(documented.map((d) => d.key));
  for (const e of beyond) {
    expect([e.activity, documentedKeys.has(keyOf(e))]).toEqual([e.activity, false]); // once the docs list it, drop the mark
    const notes = resolve(docsDir, '..', e.beyondDocs!);
    expect(existsSync(notes)).toBe(true);
    expect(readFileSync(notes, 'utf8')).toContain(`GET ${e.path.replace('{id}', '{cvmId}')}`);
  }
  // every other endpoint is documented
  expect(ENDPOINT_CATALOGUE.filter((e) => !e.beyondDocs && !documentedKeys.has(keyOf(e)))).toEqual([]);
});

test('every catalogued activity is registered on the worker, with a unique name', () => {
  const activities = createActivities({ workerInfo: { taskQueue: 't', providers: { phala: 'disabled', prism: 'disabled', cudo: 'disabled' } } });
  const names = ENDPOINT_CATALOGUE.map((e) => e.activity);
  expect(new Set(names).size).toBe(names.length);
  expect(names.filter((n) => typeof (activities as Record<string, unknown>)[n] !== 'function')).toEqual([]);
  for (const e of ENDPOINT_CATALOGUE) expect(e.activity.startsWith(e.provider)).toBe(true);
});

test('an unconfigured provider answers with a clear non-retryable failure', async () => {
  const activities = createActivities({ workerInfo: { taskQueue: 't', providers: { phala: 'disabled', prism: 'disabled', cudo: 'disabled' } } });
  await expect(activities.cudoGetVm({ id: 'vm-1' })).rejects.toMatchObject({ type: 'ProviderNotConfigured', nonRetryable: true, message: expect.stringMatching(/provider cudo is not configured/) });
});
