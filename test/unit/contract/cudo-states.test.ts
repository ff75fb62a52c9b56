import { classifyCudoGone, classifyCudoState, classifyCudoVm } from '../../../src/contract/rules/cudo';

describe('classifyCudoState (notes §6.3)', () => {
  test.each([
    ['ACTIVE', 'runn', 'running', true],
    ['ACTIVE', 'boot', 'running', true], // state wins over shortState (reboot passing through boot)
    ['STOPPED', 'poff', 'stopped', true],
    ['DELETED', 'done', 'gone', true],
    ['FAILED', 'fail', 'failed', true],
    ['CLONING', 'prol', 'transitional', false],
    ['PENDING', 'pend', 'transitional', false],
    ['STARTING', 'boot', 'transitional', false],
    ['STOPPING', 'shut', 'transitional', false],
    ['DELETING', 'epil', 'transitional', false],
    ['HOTPLUGGING', 'hotp', 'transitional', false],
    ['RESIZING_DISK', 'drsz', 'transitional', false],
    ['UNKNOWN', 'unkn', 'transitional', false],
    ['SUSPENDED', 'susp', 'transitional', true], // stable but not ours: settled, not running/stopped
    ['SOME_FUTURE_STATE', undefined, 'transitional', false],
  ] as const)('%s/%s -> %s', (state, short, cls, settled) => {
    const c = classifyCudoState(state, short);
    expect(c.class).toBe(cls);
    expect(c.settled).toBe(settled);
    expect(c.description.startsWith(`${cls}:`)).toBe(true);
  });

  test('shortState decides when state is absent', () => {
    expect(classifyCudoState(undefined, 'runn').class).toBe('running');
    expect(classifyCudoState('', 'poff').class).toBe('stopped');
    expect(classifyCudoState(null, 'stop').class).toBe('stopped');
    expect(classifyCudoState(undefined, 'unde').class).toBe('stopped');
    expect(classifyCudoState(undefined, 'boot').class).toBe('transitional');
    expect(classifyCudoState(undefined, 'susp').settled).toBe(true);
  });

  test('fail and done count even when state says otherwise', () => {
    expect(classifyCudoState('ACTIVE', 'fail').class).toBe('failed');
    expect(classifyCudoState('STOPPING', 'done').class).toBe('gone');
    expect(classifyCudoState(undefined, 'FAIL').class).toBe('failed'); // case-insensitive
  });

  test('nothing at all is the zero value CLONING: transitional', () => {
    const c = classifyCudoState(undefined, undefined);
    expect(c).toMatchObject({ class: 'transitional', state: 'CLONING', settled: false });
  });

  test('state is authoritative over a running shortState', () => {
    expect(classifyCudoState('CLONING', 'runn').class).toBe('transitional');
    expect(classifyCudoState('active', undefined).class).toBe('running');
  });

  test('VM objects and 404', () => {
    expect(classifyCudoVm({ state: 'ACTIVE', shortState: 'runn' }).class).toBe('running');
    expect(classifyCudoVm({}).class).toBe('transitional');
    expect(classifyCudoVm(undefined).class).toBe('gone');
    expect(classifyCudoGone()).toEqual({ class: 'gone', settled: true, description: 'gone: VM not found (404)' });
  });
});
