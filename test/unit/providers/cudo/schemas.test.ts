import * as s from '../../../../src/providers/cudo/schemas';
import { parseCudoErrorBody } from '../../../../src/providers/cudo/errors';

describe('protojson-tolerant schemas', () => {
  test('int64 counters stay exact decimal strings; numbers are accepted too', () => {
    const r = s.monitorVmResponse.parse({ items: [{ cpu: '12.5', netRx: '9223372036854775807', netTx: 42, diskRdBytes: ' 18446744073709551615 ', timestamp: '1709294400' }] });
    expect(r.items[0]).toMatchObject({ cpu: 12.5, netRx: '9223372036854775807', netTx: '42', diskRdBytes: '18446744073709551615', timestamp: '1709294400' });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON for Temporal history
    expect(() => s.monitorVmResponse.parse({ items: [{ netRx: '12abc' }] })).toThrow(/int64/);
  });

  test('uint32 fields as numbers or numeric strings; null is absent; missing lists are empty', () => {
    const vm = s.vmSchema.parse({ id: 'a', vcpus: '4', memory: 16, gpuQuantity: null, nics: null, bootDisk: null, expireTime: null });
    expect(vm.vcpus).toBe(4);
    expect(vm.memory).toBe(16);
    expect(vm.gpuQuantity).toBeUndefined();
    expect(vm.nics).toEqual([]);
    expect(vm.storageDisks).toEqual([]);
    expect(vm.bootDisk).toBeUndefined();
    expect(() => s.vmSchema.parse({ vcpus: 'four' })).toThrow(/integer/);
  });

  test('enums by name or by number; unknown names kept; missing state stays absent', () => {
    expect(s.vmSchema.parse({ state: 12 }).state).toBe('ACTIVE');
    expect(s.vmSchema.parse({ state: 19 }).state).toBe('PENDING');
    expect(s.vmSchema.parse({ state: 'BRAND_NEW' }).state).toBe('BRAND_NEW');
    expect(s.vmSchema.parse({}).state).toBeUndefined();
    expect(s.diskSchema.parse({ diskState: 2 }).diskState).toBe('DISK_STATE_USED');
  });

  test('Decimal is a string value; empty means 0; a float is turned into text', () => {
    const g = s.getVmResponse.parse({ VM: { id: 'x' }, totalPriceHr: { value: '0.1200' }, gpuPriceHr: {}, vcpuPriceHr: { value: 0.5 } });
    expect(g.totalPriceHr).toEqual({ value: '0.1200' });
    expect(g.gpuPriceHr).toEqual({ value: '0' });
    expect(g.vcpuPriceHr).toEqual({ value: '0.5' });
    expect(() => s.getVmResponse.parse({ VM: { id: 'x' }, totalPriceHr: { value: 'cheap' } })).toThrow(/decimal/);
  });

  test('unknown fields are kept; the compact form ({} for zero) parses to zero values', () => {
    expect(s.countVmsResponse.parse({})).toEqual({ count: 0 });
    expect(s.listPrivateImagesResponse.parse({})).toEqual({ images: [], totalCount: 0, pageNumber: 0, pageSize: 0 });
    const r = s.listVmsResponse.parse({ VMs: [{ id: 'a', futureField: { x: 1 } }], nextPageToken: 't' });
    expect((r as Record<string, unknown>).nextPageToken).toBe('t');
    expect((r.VMs[0] as Record<string, unknown>).futureField).toEqual({ x: 1 });
  });

  test('what we cannot do without is required', () => {
    expect(s.createVmResponse.safeParse({ vm: { id: 'a' } }).success).toBe(false);
    expect(s.createVmResponse.safeParse({ id: 'a' }).success).toBe(true); // vm may be absent (dstack PR #1179)
    expect(s.getVmResponse.safeParse({ VM: {} }).success).toBe(false);
    expect(s.resizeVmResponse.safeParse({}).success).toBe(false);
  });

  test('create body: vmId pattern, no bootDisk.id, no commitment', () => {
    const base = { vmId: 'cvmflow-1', dataCenterId: 'dc', machineType: 'mt', bootDiskImageId: 'img', vcpus: 1, memoryGib: 1 };
    expect(s.createVmBodySchema.parse(base).gpus).toBe(0);
    for (const bad of ['Upper', '1abc', 'abc-', 'a_b', 'a'.repeat(64)]) expect(s.createVmBodySchema.safeParse({ ...base, vmId: bad }).success).toBe(false);
    expect(s.createVmBodySchema.safeParse({ ...base, vmId: 'a'.repeat(63) }).success).toBe(true);
    expect(s.createVmBodySchema.safeParse({ ...base, bootDisk: { sizeGib: 10, id: 'fixed' } }).success).toBe(false);
    expect(s.createVmBodySchema.safeParse({ ...base, commitmentTerm: 'COMMITMENT_TERM_12_MONTHS' }).success).toBe(false);
    expect(s.createVmBodySchema.safeParse({ ...base, ttl: '3600s' }).success).toBe(true);
  });
});

describe('parseCudoErrorBody', () => {
  test('grpc-gateway Status: code is the gRPC code', () => {
    expect(parseCudoErrorBody(409, { code: 6, message: 'A VM with that id already exists', details: [] }, '')).toMatchObject({ code: 'ALREADY_EXISTS', kind: 'conflict' });
    expect(parseCudoErrorBody(400, { code: 9, message: 'cannot stop vm in state STOPPED' }, '')).toMatchObject({ code: 'FAILED_PRECONDITION', kind: 'conflict' });
    expect(parseCudoErrorBody(400, { code: 3, message: 'bad vcpus' }, '')).toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'invalid_request' });
    expect(parseCudoErrorBody(401, { code: 16, message: 'invalid API key' }, '')).toMatchObject({ code: 'UNAUTHENTICATED', kind: 'auth' });
    expect(parseCudoErrorBody(503, { code: 14, message: 'unavailable' }, '')).toMatchObject({ code: 'UNAVAILABLE', kind: 'server' });
    expect(parseCudoErrorBody(409, { code: 10, message: 'aborted' }, '')).toMatchObject({ kind: 'conflict', retryable: true });
    expect(parseCudoErrorBody(501, { code: 12, message: 'nope' }, '')).toMatchObject({ kind: 'server', retryable: false });
  });

  test('capacity hides behind code 3 and code 9', () => {
    expect(parseCudoErrorBody(400, { code: 3, message: 'There are no hosts available for your specified virtual machine' }, '')).toMatchObject({ kind: 'capacity' });
    expect(parseCudoErrorBody(400, { code: 9, message: 'Vm cannot be assigned ip from network. Network full' }, '')).toMatchObject({ kind: 'capacity' });
  });

  test('AIP-193 bodies (status name wins; code is HTTP), also wrapped in error', () => {
    expect(parseCudoErrorBody(429, { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }] }, '')).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      kind: 'rate_limited',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
    });
    expect(parseCudoErrorBody(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure' }] } }, '')).toMatchObject({ kind: 'capacity', retryable: false });
    expect(parseCudoErrorBody(429, { code: 2, message: 'odd body' }, '')).toMatchObject({ kind: 'rate_limited' });
    expect(parseCudoErrorBody(401, { code: 2, message: 'odd body' }, '')).toMatchObject({ kind: 'auth' });
    expect(parseCudoErrorBody(400, { code: 400, status: 'RESOURCE_EXHAUSTED', message: 'vcpu quota reached', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure' }] }, '')).toMatchObject({ kind: 'capacity', retryable: false });
    expect(parseCudoErrorBody(404, { code: 404, status: 'NOT_FOUND', message: 'vm x not found' }, '')).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found', message: 'vm x not found' });
  });

  test('a proxy page is not JSON: status decides, tags are dropped', () => {
    const info = parseCudoErrorBody(504, undefined, '<html><h1>504 Gateway Time-out</h1></html>');
    expect(info.kind).toBe('timeout');
    expect(info.message).toMatch(/^HTTP 504: 504 Gateway Time-out .*may still have taken effect/);
    expect(parseCudoErrorBody(502, undefined, '').kind).toBe('server');
    expect(parseCudoErrorBody(429, { error: 'rate limited' }, '').kind).toBe('rate_limited');
  });
});
