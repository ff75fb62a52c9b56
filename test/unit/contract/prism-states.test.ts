// The Prism state description: every known status in its class, deleted_at wins, evidence readiness.
import { classifyPrismStatus, isZeroTime, prismLifecycle, prismStates } from '../../../src/contract/rules/prism';

describe('prism states', () => {
  it.each([
    ['Online', 'running'],
    ['running', 'running'],
    ['READY', 'running'],
    ['Creating', 'transitional'],
    ['Starting', 'transitional'],
    ['provisioning', 'transitional'],
    ['Offline', 'stopped'],
    ['Disconnected', 'stopped'],
    ['Stopped', 'stopped'],
    ['Failed', 'failed'],
    ['Inactive', 'gone'],
    ['deleted', 'gone'],
    ['Warning', 'unknown'],
    ['', 'unknown'],
  ])('%s is %s', (status, cls) => {
    expect(classifyPrismStatus(status)).toBe(cls);
  });

  it('puts every listed status in exactly one class', () => {
    const all = Object.values(prismStates).flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it('reads Go zero time as "not deleted" in any precision, and a real time as deleted whatever the status', () => {
    expect(isZeroTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(isZeroTime('0001-01-01T00:00:00.000000Z')).toBe(true);
    expect(isZeroTime('0001-01-01T00:00:00+00:00')).toBe(true);
    expect(isZeroTime(null)).toBe(true);
    expect(isZeroTime('2026-01-01T00:00:00Z')).toBe(false);
    expect(prismLifecycle({ status: 'Online', deleted_at: '2026-01-01T00:00:00Z', attestation: 'AAAA' })).toEqual({
      class: 'gone',
      status: 'Online',
      deleted: true,
      evidenceReady: false,
      terminal: true,
    });
  });

  it('evidence is ready only when running and the attestation is non-empty', () => {
    expect(prismLifecycle({ status: 'Online', deleted_at: '0001-01-01T00:00:00Z', attestation: '' }).evidenceReady).toBe(false);
    expect(prismLifecycle({ status: 'Online', attestation: null }).evidenceReady).toBe(false);
    expect(prismLifecycle({ status: 'Starting', attestation: 'AAAA' }).evidenceReady).toBe(false);
    expect(prismLifecycle({ status: 'online', attestation: 'AAAA' })).toMatchObject({ class: 'running', evidenceReady: true, terminal: false });
  });
});
