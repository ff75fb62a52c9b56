import { parsePhalaErrorBody, PHALA_BUSY_CODE } from '../../../../src/providers/phala/errors';
import { classifyPhalaStatus } from '../../../../src/contract/rules/phala';
import { summarizeCvm } from '../../../../src/providers/phala/states';
import { composeHash, canonicalAppCompose } from '../../../../src/providers/phala/compose-hash';

const parse = (status: number, body: unknown) => parsePhalaErrorBody(status, body, JSON.stringify(body));

describe('parsePhalaErrorBody', () => {
  test('string detail', () => {
    expect(parse(401, { detail: 'Invalid API key' })).toMatchObject({ message: 'Invalid API key' });
  });
  test('422 array: message names the fields, echoed input is dropped', () => {
    const info = parse(422, { detail: [{ type: 'missing', loc: ['body', 'compose_file'], msg: 'Field required', input: { secret: 'hunter2' } }] });
    expect(info.kind).toBe('invalid_request');
    expect(info.message).toBe('validation failed: body.compose_file: Field required');
    expect(JSON.stringify(info)).not.toContain('hunter2');
  });
  test('ERR-03-007 is a non-retryable conflict', () => {
    expect(parse(409, { detail: { error_code: 'ERR-03-007', message: 'app id conflict', suggestions: ['update instead'] } })).toMatchObject({
      code: 'ERR-03-007',
      kind: 'conflict',
      retryable: false,
      details: { suggestions: ['update instead'] },
    });
  });
  test('409 busy without a code is a retryable conflict with a client-side code', () => {
    expect(parse(409, { detail: 'CVM is busy: another operation (starting) is in progress' })).toMatchObject({ kind: 'conflict', retryable: true, code: PHALA_BUSY_CODE });
    expect(parse(409, { detail: 'something else' })).toMatchObject({ kind: 'conflict', retryable: false });
  });
  test('capacity and configuration ERR-02 codes', () => {
    expect(parse(400, { detail: { error_code: 'ERR-02-003', message: 'Insufficient vCPU' } })).toMatchObject({ kind: 'capacity', retryable: true });
    expect(parse(400, { detail: { error_code: 'ERR-02-010', message: 'image not found' } })).toMatchObject({ kind: 'invalid_request', retryable: false });
    expect(parse(402, { detail: { error_code: 'ERR-04-001', message: 'balance' } })).toMatchObject({ kind: 'capacity', retryable: false });
  });
  test('465-468 get codes and kinds even with bodies that carry no code', () => {
    expect(parse(465, { detail: 'register first' })).toMatchObject({ code: 'ERR-01-005', kind: 'invalid_request', retryable: false, message: 'register first' });
    expect(parsePhalaErrorBody(466, undefined, '')).toMatchObject({ code: 'ERR-01-006', kind: 'invalid_request', retryable: false });
    expect(parse(467, {})).toMatchObject({ code: 'ERR-01-007', kind: 'conflict', retryable: true });
    expect(parse(468, { detail: { error_code: 'ERR-01-008', message: 'not on chain' } })).toMatchObject({ code: 'ERR-01-008', retryable: true, message: 'not on chain' });
  });
  test('non-FastAPI bodies and HTML', () => {
    expect(parse(502, { error: 'bad gateway' })).toMatchObject({ message: 'bad gateway' });
    expect(parsePhalaErrorBody(502, undefined, '<html>nginx</html>').message).toBeUndefined();
  });
});

describe('states', () => {
  test.each([
    [{ status: 'running' }, 'running'],
    [{ status: 'running', inProgress: true }, 'transitional'],
    [{ status: 'Running' }, 'running'],
    [{ status: 'stopped' }, 'stopped'],
    [{ status: 'starting' }, 'transitional'],
    [{ status: 'shutting_down' }, 'transitional'],
    [{ status: 'exited' }, 'failed'],
    [{ status: 'stopped', bootError: 'boom' }, 'failed'],
    [{ status: 'removed' }, 'gone'],
    [{ status: 'weird' }, 'unknown'],
  ] as const)('%j -> %s', (input, phase) => expect(classifyPhalaStatus(input)).toBe(phase));

  test('summaries across shapes: legacy list item, 2026-01-21 detail, sentinel id', () => {
    const legacy = summarizeCvm({ hosted: { id: '550e8400-e29b-41d4-a716-446655440000', name: 'x', status: 'exited', app_id: 'ab', instance_id: 'cd', boot_error: 'oops' }, name: 'web-one', status: 'exited', in_progress: false });
    expect(legacy).toMatchObject({ ref: '550e8400e29b41d4a716446655440000', vmUuid: '550e8400-e29b-41d4-a716-446655440000', appId: 'ab', bootError: 'oops', phase: 'failed', id: null });
    const v2026 = summarizeCvm({ id: 'cvm_abc', name: 'web-one', status: 'starting', app_id: 'ab', progress: { target: 'running' }, kms_info: { encrypted_env_pubkey: 'ff' } });
    expect(v2026).toMatchObject({ ref: 'cvm_abc', inProgress: true, progressTarget: 'running', encryptedEnvPubkey: 'ff', phase: 'transitional' });
    expect(summarizeCvm({ id: 0, name: 'web-one', status: 'running', app_id: 'ab' })).toMatchObject({ id: null, ref: 'app_ab' });
  });
});

test('compose hash: keys sorted recursively, Python separators, runner-specific fields dropped', () => {
  const a = { runner: 'docker-compose', name: 'x', docker_compose_file: 'services: {}', bash_script: 'echo', pre_launch_script: '', nested: { b: 1, a: [{ d: 1, c: 2 }] } };
  const b = { nested: { a: [{ c: 2, d: 1 }], b: 1 }, docker_compose_file: 'services: {}', name: 'x', runner: 'docker-compose' };
  expect(composeHash(a)).toBe(composeHash(b));
  expect(composeHash(a)).toMatch(/^[0-9a-f]{64}$/);
  expect(canonicalAppCompose({ b: 1, a: 'x' })).toBe('{\n    "a":"x",\n    "b":1\n}');
  expect(composeHash({ ...b, name: 'y' })).not.toBe(composeHash(b));
});
