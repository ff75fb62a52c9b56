import { describeIssues } from '../../../src/contract/common';
import { CreateCudoVmInputSchema } from '../../../src/contract/cudo';
import { OperateCvmInputSchema } from '../../../src/contract/operate';
import { ProvisionPhalaCvmInputSchema, SubmitOnChainTransactionSchema } from '../../../src/contract/phala';
import { CreateAttestedPrismCvmInputSchema } from '../../../src/contract/prism';
import { TeardownCvmInputSchema } from '../../../src/contract/teardown';

test('defaults fill in and durations become milliseconds', () => {
  const p = ProvisionPhalaCvmInputSchema.parse({ name: 'my-app', composeFile: 'services: {}\n', ttl: '2h' });
  expect(p).toMatchObject({ kms: { type: 'phala' }, env: [], onChainDeadline: 3_600_000, runningDeadline: 1_200_000, pollInterval: 5_000, ttl: 7_200_000, keepOnFailure: false });
  expect(CreateAttestedPrismCvmInputSchema.parse({ name: 'cvm-a' })).toMatchObject({ backend: 'ultraviolet', ccPlatform: 'sev-snp', vcpu: 2, onlineDeadline: 1_800_000 });
});

test('errors name each bad field and the fix', () => {
  const r = ProvisionPhalaCvmInputSchema.safeParse({ name: '1bad--name', composeFile: '', env: [{ key: 'DB PASS', secretRef: 'env:PHALA_API_KEY' }], pollInterval: 'fast' });
  expect(r.success).toBe(false);
  const text = describeIssues(r.error!);
  expect(text).toMatch(/name: expected 5-63 letters/);
  expect(text).toMatch(/composeFile: the docker compose file is required/);
  expect(text).toMatch(/env\.0\.key: expected an environment variable name/);
  expect(text).toMatch(/env\.0\.secretRef: expected env:CVMFLOW_SECRET_<NAME>/);
  expect(text).toMatch(/pollInterval: expected a duration/);
});

test('secret references cannot point at the worker credentials', () => {
  for (const ref of ['env:PHALA_API_KEY', 'env:HOME', 'file:../etc/passwd', 'file:/etc/shadow', 'literal']) {
    expect(ProvisionPhalaCvmInputSchema.safeParse({ name: 'my-app', composeFile: 'x', env: [{ key: 'K', secretRef: ref }] }).success).toBe(false);
  }
  expect(ProvisionPhalaCvmInputSchema.safeParse({ name: 'my-app', composeFile: 'x', env: [{ key: 'K', secretRef: 'env:CVMFLOW_SECRET_DB' }, { key: 'L', secretRef: 'file:db.pw' }] }).success).toBe(true);
});

test('on-chain transactions are 0x + 64 hex', () => {
  expect(SubmitOnChainTransactionSchema.safeParse({ transactionHash: `0x${'a'.repeat(64)}` }).success).toBe(true);
  expect(SubmitOnChainTransactionSchema.safeParse({ transactionHash: `0x${'a'.repeat(63)}` }).success).toBe(false);
  expect(SubmitOnChainTransactionSchema.safeParse({ transactionHash: 'a'.repeat(66) }).success).toBe(false);
});

test('teardown needs an id or a name, and CUDO an id', () => {
  expect(TeardownCvmInputSchema.safeParse({ provider: 'phala', cvmName: 'my-app' }).success).toBe(true);
  expect(describeIssues(TeardownCvmInputSchema.safeParse({ provider: 'phala' }).error!)).toMatch(/cvmId: give cvmId or cvmName/);
  expect(describeIssues(TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmName: 'x' }).error!)).toMatch(/CUDO VMs are addressed by cvmId/);
  expect(describeIssues(TeardownCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'x', teardownAt: 'tomorrow' }).error!)).toMatch(/teardownAt: expected an ISO 8601 time/);
});

test('operate checks the action against the provider', () => {
  expect(OperateCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1', action: 'reboot' }).success).toBe(true);
  expect(describeIssues(OperateCvmInputSchema.safeParse({ provider: 'prism', cvmId: 'x', action: 'stop' }).error!)).toMatch(/action: this provider does not support/);
  expect(describeIssues(OperateCvmInputSchema.safeParse({ provider: 'cudo', cvmId: 'vm-1', action: 'resize', vcpus: 2 }).error!)).toMatch(/vcpus: resize needs vcpus and memoryGib/);
});

test('CUDO vm ids follow the provider rule', () => {
  const base = { dataCenterId: 'gb-bournemouth-1', machineType: 'epyc-milan', bootDiskImageId: 'ubuntu-2204', vcpus: 2, memoryGib: 4 };
  expect(CreateCudoVmInputSchema.safeParse({ ...base, vmId: 'cvmflow-a1' }).success).toBe(true);
  for (const vmId of ['Upper', '1start', 'ends-', 'a'.repeat(64)]) expect(CreateCudoVmInputSchema.safeParse({ ...base, vmId }).success).toBe(false);
});
