import { createPhalaActivities } from '../../../../src/activities/phala';
import { PhalaClient } from '../../../../src/providers/phala/client';
import { phalaEndpoints } from '../../../../src/providers/phala/endpoints';
import { createPhalaSandbox } from '../../../../src/sandbox/phala';
import { createCvm, raw, startRig } from './helpers';

test('one activity per endpoint (11 documented, 2 beyond the docs), named as the catalogue says', async () => {
  const client = new PhalaClient({ baseUrl: 'http://127.0.0.1:9/api/v1', apiKey: 'k' });
  try {
    expect(Object.keys(createPhalaActivities(client)).sort()).toEqual(phalaEndpoints.map((e) => e.activity).sort());
  } finally {
    await client.close();
  }
  expect(phalaEndpoints.filter((e) => !('beyondDocs' in e))).toHaveLength(11);
  expect(phalaEndpoints.filter((e) => 'beyondDocs' in e).map((e) => `${e.method} ${e.path}`)).toEqual(['GET /cvms/{id}/attestation', 'GET /apps/{app_id}/attestations']);
  expect(new Set(phalaEndpoints.map((e) => `${e.method} ${e.path}`)).size).toBe(13);
});

test('the sandbox serves every endpoint (no 404 Not Found route misses) and defaults to a fixed key', async () => {
  expect(createPhalaSandbox().apiKey).toBe('sandbox-phala-key');
  const rig = await startRig();
  try {
    const { cvm } = await createCvm(rig.client);
    const h = { 'x-api-key': rig.sandbox.apiKey };
    const id = cvm.vm_uuid!;
    const probes: Array<[string, string, unknown?]> = [
      ['GET', '/cvms'],
      ['GET', `/cvms/${id}`],
      ['POST', `/cvms/${id}/start`],
      ['POST', `/cvms/${id}/stop`],
      ['POST', `/cvms/${id}/shutdown`],
      ['POST', `/cvms/${id}/restart`, { force: true }],
      ['POST', `/cvms/${id}/replicas`, {}],
      ['GET', `/cvms/${id}/attestation`],
      ['GET', `/apps/${cvm.app_id}/attestations`],
    ];
    for (const [method, path, body] of probes) {
      const r = await raw(rig.url, path, { method, headers: h, body });
      expect([method, path, r.status]).toEqual([method, path, 200]);
    }
    expect((await raw(rig.url, `/cvms/${id}`, { method: 'DELETE', headers: h })).status).toBe(204);
    expect(await raw(rig.url, '/nope', { headers: h })).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
    for (const a of phalaEndpoints.map((e) => e.activity).filter((a) => a !== 'phalaWatchCvmState' && a !== 'phalaProvisionCvm' && a !== 'phalaCommitCvm')) {
      expect([a, rig.sandbox.server.calls(a).length > 0]).toEqual([a, true]);
    }
  } finally {
    await rig.close();
  }
});

test('activity results are plain JSON data', async () => {
  const rig = await startRig();
  try {
    const acts = createPhalaActivities(rig.client);
    const list = await acts.phalaListCvms();
    const { cvm } = await createCvm(rig.client);
    const got = await acts.phalaGetCvm({ uuid: cvm.vm_uuid! });
    for (const v of [list, got]) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  } finally {
    await rig.close();
  }
});
