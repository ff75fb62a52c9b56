// The committed schemas/*.json are what the zod schemas generate now: CI fails on drift.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jsonSchemaFiles, jsonSchemas } from '../../../src/client/json-schemas';

const dir = resolve(__dirname, '..', '..', '..', 'schemas');

test('schemas/ matches the zod schemas (regenerate with node scripts/gen-schemas.cjs)', () => {
  const files = jsonSchemaFiles();
  const committed = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  expect(committed).toEqual(Object.keys(files).sort());
  const drifted = Object.keys(files).filter((f) => readFileSync(resolve(dir, f), 'utf8') !== files[f]);
  expect(drifted).toEqual([]);
});

test('every workflow has an input and an output schema; durations accept text or milliseconds', () => {
  const s = jsonSchemas();
  for (const wf of ['provisionPhalaCvm', 'createAttestedPrismCvm', 'createCudoVm', 'teardownCvm', 'operateCvm', 'reconcileFleet', 'collectCvmStatistics', 'reattestCvms']) {
    expect(s[`${wf}.input`]).toMatchObject({ type: 'object' });
    expect(s[`${wf}.output`]).toMatchObject({ type: 'object' });
  }
  const cudo = s['createCudoVm.input'] as { required: string[]; properties: Record<string, { type?: string[]; default?: unknown }> };
  expect(cudo.required).toEqual(expect.arrayContaining(['vmId', 'dataCenterId', 'machineType', 'bootDiskImageId', 'vcpus', 'memoryGib']));
  expect(cudo.properties.ttl?.type).toEqual(['string', 'number']);
  expect(cudo.properties.pollInterval).toEqual({ default: '5s', type: ['string', 'number'] });
});
