// Issue 17, the contract half: unknown fields are errors that suggest the field meant, provider id and name rules
// are checked before anything is sent, every id that becomes a search attribute or a URL path segment is bounded,
// and a teardown cannot be scheduled past the maximum lease. (The dev-server half: test/integration/input-guard.test.ts.)
import { describeIssues } from '../../../src/contract/common';
import { CreateCudoVmInputSchema } from '../../../src/contract/cudo';
import { OperateCvmInputSchema } from '../../../src/contract/operate';
import { ProvisionPhalaCvmInputSchema, SubmitOnChainTransactionSchema } from '../../../src/contract/phala';
import { CreateAttestedPrismCvmInputSchema } from '../../../src/contract/prism';
import { CollectCvmStatisticsInputSchema, ReattestCvmsInputSchema, ReconcileFleetInputSchema } from '../../../src/contract/fleet';
import { boundKeyword, MAX_KEYWORD_CHARS, SERVER_KEYWORD_LIMIT_BYTES } from '../../../src/contract/search-attributes';
import { closestField, unknownFieldsMessage } from '../../../src/contract/strict';
import { CancelTeardownSchema, ExtendTeardownSchema, TeardownCvmInputSchema } from '../../../src/contract/teardown';
import { jsonSchemas } from '../../../src/client/json-schemas';
import type { z } from 'zod';

function issues(schema: z.ZodType, input: unknown): string {
  const p = schema.safeParse(input);
  if (p.success) throw new Error(`accepted: ${JSON.stringify(input).slice(0, 200)}`);
  return describeIssues(p.error);
}

const cudo = { vmId: 'vm-1', dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 };
const VALID: Array<[string, z.ZodType, Record<string, unknown>]> = [
  ['provisionPhalaCvm', ProvisionPhalaCvmInputSchema, { name: 'my-cvm', composeFile: 'services: {}' }],
  ['createAttestedPrismCvm', CreateAttestedPrismCvmInputSchema, { name: 'my-cvm' }],
  ['createCudoVm', CreateCudoVmInputSchema, cudo],
  ['teardownCvm', TeardownCvmInputSchema, { provider: 'phala', cvmName: 'my-cvm' }],
  ['operateCvm', OperateCvmInputSchema, { provider: 'cudo', cvmId: 'vm-1', action: 'stop' }],
  ['reconcileFleet', ReconcileFleetInputSchema, {}],
  ['collectCvmStatistics', CollectCvmStatisticsInputSchema, {}],
  ['reattestCvms', ReattestCvmsInputSchema, {}],
  ['extendTeardown', ExtendTeardownSchema, { teardownAt: '2030-01-01T00:00:00Z' }],
  ['cancelTeardown', CancelTeardownSchema, {}],
  ['submitOnChainTransaction', SubmitOnChainTransactionSchema, { transactionHash: `0x${'a'.repeat(64)}` }],
];

describe('unknown fields', () => {
  test('createCudoVm with vcpu and gpu (typos of vcpus, gpus) is refused, suggesting the fields meant', () => {
    const text = issues(CreateCudoVmInputSchema, { ...cudo, vcpu: 4, gpu: 2 });
    expect(text).toContain('unknown field vcpu: did you mean vcpus?');
    expect(text).toContain('unknown field gpu: did you mean gpus?');
  });

  test.each(VALID)('%s: the valid input passes, and one unknown field is an error naming it', (_name, schema, valid) => {
    expect(schema.safeParse(valid).success).toBe(true);
    expect(issues(schema, { ...valid, surplusField: 1 })).toMatch(/unknown field surplusField/);
  });

  test('nested objects are strict too: kms and env entries of provisionPhalaCvm', () => {
    const base = { name: 'my-cvm', composeFile: 'x' };
    expect(issues(ProvisionPhalaCvmInputSchema, { ...base, kms: { type: 'base', contractAdress: `0x${'1'.repeat(40)}` } })).toMatch(/kms: unknown field contractAdress: did you mean contractAddress\?/);
    expect(issues(ProvisionPhalaCvmInputSchema, { ...base, env: [{ key: 'A', secretRef: 'env:CVMFLOW_SECRET_A', value: 'leak' }] })).toMatch(/env\.0: unknown field value/);
  });

  test('the suggestion ignores case, - and _, and is left out when nothing is close', () => {
    expect(closestField('vm_id', ['vmId', 'vcpus'])).toBe('vmId');
    expect(closestField('VCPUS', ['vmId', 'vcpus'])).toBe('vcpus');
    expect(closestField('memoryGB', ['memoryGib', 'gpus'])).toBe('memoryGib');
    expect(closestField('colour', ['vmId', 'vcpus'])).toBeUndefined();
    expect(unknownFieldsMessage(['x'.repeat(10_000)], ['a']).length).toBeLessThan(200);
  });

  test('every committed input schema says additionalProperties: false', () => {
    const s = jsonSchemas();
    for (const [name, schema] of Object.entries(s).filter(([n]) => n.endsWith('.input'))) {
      expect([name, schema.additionalProperties]).toEqual([name, false]);
    }
  });
});

describe('provider id and name rules', () => {
  const BAD_IDS = ['../../etc/passwd', 'my cvm', 'x?y=1#z', 'a'.repeat(300)];
  test.each(['phala', 'prism', 'cudo'] as const)('%s: teardownCvm and operateCvm refuse ids the provider would not take', (provider) => {
    for (const cvmId of BAD_IDS) {
      expect(issues(TeardownCvmInputSchema, { provider, cvmId })).toMatch(/^cvmId: /);
      expect(issues(OperateCvmInputSchema, { provider: provider === 'prism' ? 'phala' : provider, cvmId, action: 'start' })).toMatch(/^cvmId: /);
    }
    if (provider !== 'cudo') for (const cvmName of BAD_IDS) expect(issues(TeardownCvmInputSchema, { provider, cvmName })).toMatch(/^cvmName: (expected a (Phala|Prism) CVM name|at most 128 characters)/);
  });

  test('the ids each provider really uses pass', () => {
    for (const cvmId of ['3f2b1c9e-1d2a-4c5b-9e8f-0a1b2c3d4e5f', '3f2b1c9e1d2a4c5b9e8f0a1b2c3d4e5f', `app_${'ab'.repeat(20)}`, 'cvm_ykL5lbAn', '42', 'My-Cvm1']) {
      expect(TeardownCvmInputSchema.safeParse({ provider: 'phala', cvmId }).success).toBe(true);
    }
    expect(TeardownCvmInputSchema.safeParse({ provider: 'prism', cvmId: '3f2b1c9e-1d2a-4c5b-9e8f-0a1b2c3d4e5f', cvmName: 'my-cvm' }).success).toBe(true);
    expect(TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1' }).success).toBe(true);
    expect(issues(TeardownCvmInputSchema, { provider: 'cudo', cvmId: 'VM_1' })).toMatch(/cvmId: expected a CUDO vmId/);
  });
});

describe('bounds on what becomes a search attribute or a URL path segment', () => {
  const big = 'a'.repeat(10 * 1024);
  test('10 KB ids, names and catalog ids are input errors naming the field', () => {
    expect(issues(TeardownCvmInputSchema, { provider: 'phala', cvmId: big })).toMatch(/cvmId: at most 128 characters/);
    expect(issues(TeardownCvmInputSchema, { provider: 'phala', cvmName: big })).toMatch(/cvmName: at most 128 characters/);
    expect(issues(ProvisionPhalaCvmInputSchema, { name: 'my-cvm', composeFile: 'x', instanceType: big })).toMatch(/instanceType: expected an instance type/);
    for (const field of ['dataCenterId', 'machineType', 'bootDiskImageId']) expect(issues(CreateCudoVmInputSchema, { ...cudo, [field]: big })).toMatch(new RegExp(`^${field}: expected`));
  });

  test('keyword values set from provider answers are cut below the server limit', () => {
    const cut = boundKeyword('é'.repeat(5000));
    expect(cut.length).toBeLessThanOrEqual(MAX_KEYWORD_CHARS);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThan(SERVER_KEYWORD_LIMIT_BYTES);
    expect(boundKeyword('ACTIVE')).toBe('ACTIVE');
  });
});

describe('time bounds', () => {
  test('teardownAt past the maximum lease (default one year) is refused, naming maxLease; maxLease is configurable', () => {
    expect(issues(TeardownCvmInputSchema, { provider: 'cudo', cvmId: 'vm-1', teardownAt: '9999-12-31T23:59:59Z' })).toMatch(/^teardownAt: must be at most maxLease \(366d\) from now/);
    const in2y = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    expect(TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1', teardownAt: in2y }).success).toBe(false);
    expect(TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1', teardownAt: in2y, maxLease: '800d' }).success).toBe(true);
    expect(issues(TeardownCvmInputSchema, { provider: 'cudo', cvmId: 'vm-1', maxLease: '100000d' })).toMatch(/^maxLease: must be between 1m and 3660d/);
  });
});

test('durations are whole milliseconds: a fraction of a millisecond is refused (found by the input fuzz test)', () => {
  expect(issues(TeardownCvmInputSchema, { provider: 'cudo', cvmId: 'vm-1', gracefulTimeout: 0.0005 })).toMatch(/^gracefulTimeout: expected a duration .* or whole milliseconds, got 0.0005/);
  expect(TeardownCvmInputSchema.parse({ provider: 'cudo', cvmId: 'vm-1', gracefulTimeout: '1.1s' }).gracefulTimeout).toBe(1100);
});
