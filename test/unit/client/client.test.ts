// The client validates before anything reaches Temporal and builds visibility queries from filters.
import type { Client } from '@temporalio/client';
import { CvmflowClient, CvmflowInputError, listQuery } from '../../../src/client';

// A Client whose every use fails the test: validation must happen first.
const untouchable = new Proxy({}, { get: () => { throw new Error('Temporal was contacted'); } }) as unknown as Client;

test('a bad input is rejected before Temporal, naming each field', async () => {
  const c = new CvmflowClient(untouchable);
  const err = (await c.startCreateCudoVm({ vmId: 'Bad_Id', dataCenterId: '', machineType: 'm', bootDiskImageId: 'i', vcpus: 0, memoryGib: 4 }).catch((e: unknown) => e)) as CvmflowInputError;
  expect(err).toBeInstanceOf(CvmflowInputError);
  expect(err.message).toMatch(/^createCudoVm: invalid input: /);
  expect(err.message).toMatch(/vmId: expected 1-63 lowercase/);
  expect(err.message).toMatch(/dataCenterId: required/);
  expect(err.message).toMatch(/vcpus: /);
  await expect(c.startTeardownCvm({ provider: 'cudo', cvmName: 'x' })).rejects.toThrow(/teardownCvm: invalid input: cvmId: CUDO VMs are addressed by cvmId/);
  await expect(c.startOperateCvm({ provider: 'prism', cvmId: 'x', action: 'stop' })).rejects.toThrow(/action: this provider does not support that action/);
  await expect(c.submitOnChainTransaction('my-app', { transactionHash: '0x12' })).rejects.toThrow(/submitOnChainTransaction: invalid input: transactionHash: expected 0x followed by 64 hex digits/);
  await expect(c.extendTeardown('cudo', 'vm', 'tomorrow')).rejects.toThrow(/extendTeardown: invalid input: teardownAt: expected an ISO 8601 time/);
});

test('list filters become a visibility query on the custom search attributes', () => {
  expect(listQuery({ provider: 'cudo', name: "my'vm" })).toBe("WorkflowType IN ('provisionPhalaCvm', 'createAttestedPrismCvm', 'createCudoVm', 'teardownCvm', 'operateCvm') AND CvmProvider = 'cudo' AND CvmName = 'my\\'vm'");
  expect(listQuery({ status: 'running', types: ['createCudoVm'] })).toBe("WorkflowType IN ('createCudoVm') AND ExecutionStatus = 'Running'");
  expect(listQuery({ status: 'ACTIVE', types: ['createCudoVm'] })).toBe("WorkflowType IN ('createCudoVm') AND CvmStatus = 'ACTIVE'");
});
