// The contract's pure rules: the one waiter decision every wait asks, the one find-by-name ranking, workflow ids
// that parse back, and failure types that cover every provider error kind.
import { decideWait, rankByName, type CvmObservation } from '../../../src/contract/rules/cvm';
import { classifyCudoState } from '../../../src/contract/rules/cudo';
import { prismLifecycle } from '../../../src/contract/rules/prism';
import { PROVIDER_PROFILES } from '../../../src/contract/rules/profiles';
import { FailureTypes } from '../../../src/contract/failures';
import { cvmKey, lifecycleWorkflowId, operateWorkflowId, parseWorkflowId, scheduleWorkflowId, teardownWorkflowId } from '../../../src/contract/workflow-ids';
import { ProviderError, type ProviderErrorKind } from '../../../src/providers/http/errors';

function cudo(state: string, shortState?: string): CvmObservation {
  const c = classifyCudoState(state, shortState);
  return { provider: 'cudo', cvmId: 'vm-1', class: c.class, status: c.state ?? '?', settled: c.settled, evidenceReady: false, detail: c.description, facts: {} };
}
function prism(status: string, attestation = ''): CvmObservation {
  const l = prismLifecycle({ status, attestation });
  return { provider: 'prism', cvmId: 'p-1', class: l.class, status, settled: l.terminal, evidenceReady: l.evidenceReady, facts: {} };
}
const waiter = (p: 'cudo' | 'prism' | 'phala') => PROVIDER_PROFILES[p].waiter;

describe('decideWait', () => {
  test('a SUSPENDED CUDO VM fails a wait for running or stopped at once, naming the state', () => {
    for (const target of ['running', 'stopped'] as const) {
      const d = decideWait(waiter('cudo'), target, cudo('SUSPENDED'));
      expect(d).toMatchObject({ kind: 'failed', type: FailureTypes.CvmSettled });
      expect(d.kind === 'failed' && d.message).toMatch(/cudo CVM vm-1 is SUSPENDED .*suspended.*while waiting for/);
    }
  });
  test('an Offline Prism CVM fails a wait for evidence at once, naming the state', () => {
    for (const status of ['Offline', 'Stopped', 'Disconnected']) {
      const d = decideWait(waiter('prism'), 'evidence-ready', prism(status));
      expect(d).toMatchObject({ kind: 'failed', type: FailureTypes.CvmSettled, message: expect.stringContaining(`is ${status}`) });
    }
  });
  test('the state an action starts from, and every state in motion, keep the wait going', () => {
    expect(decideWait(waiter('cudo'), 'running', cudo('STOPPED'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('cudo'), 'stopped', cudo('ACTIVE'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('cudo'), 'gone', cudo('SUSPENDED'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('cudo'), 'running', cudo('STARTING'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('prism'), 'evidence-ready', prism('Online'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('prism'), 'evidence-ready', prism('Creating'))).toEqual({ kind: 'pending' });
    expect(decideWait(waiter('prism'), 'gone', prism('Offline'))).toEqual({ kind: 'pending' });
  });
  test('target reached, failed and gone', () => {
    expect(decideWait(waiter('cudo'), 'running', cudo('ACTIVE'))).toEqual({ kind: 'reached' });
    expect(decideWait(waiter('prism'), 'evidence-ready', prism('Online', 'AAAA'))).toEqual({ kind: 'reached' });
    expect(decideWait(waiter('cudo'), 'running', cudo('ACTIVE', 'fail'))).toMatchObject({ kind: 'failed', type: FailureTypes.CvmFailed });
    expect(decideWait(waiter('cudo'), 'running', cudo('DELETED'))).toMatchObject({ kind: 'failed', type: FailureTypes.CvmGone });
    expect(decideWait(waiter('cudo'), 'gone', cudo('DELETED'))).toEqual({ kind: 'reached' });
  });
});

test('rankByName: exact name, not gone, live before failed, newest first', () => {
  const items = [
    { id: 'a', name: 'web', class: 'failed' as const, createdAt: '2026-01-03T00:00:00Z' },
    { id: 'b', name: 'web', class: 'running' as const, createdAt: '2026-01-01T00:00:00Z' },
    { id: 'c', name: 'web', class: 'transitional' as const, createdAt: '2026-01-02T00:00:00Z' },
    { id: 'd', name: 'web', class: 'gone' as const, createdAt: '2026-01-04T00:00:00Z' },
    { id: 'e', name: 'web-2', class: 'running' as const, createdAt: '2026-01-05T00:00:00Z' },
  ];
  expect(rankByName(items, 'web').map((i) => i.id)).toEqual(['c', 'b', 'a']);
  expect(rankByName(items, 'nope')).toEqual([]);
});

test('workflow ids parse back to what made them', () => {
  expect(parseWorkflowId(lifecycleWorkflowId('cudo', 'vm-1'))).toEqual({ kind: 'lifecycle', provider: 'cudo', key: 'vm-1' });
  expect(parseWorkflowId(teardownWorkflowId('phala', 'my-app'))).toEqual({ kind: 'teardown', provider: 'phala', key: 'my-app' });
  expect(parseWorkflowId(operateWorkflowId('cudo', 'vm-1', 'stop', 'req-1'))).toEqual({ kind: 'operate', provider: 'cudo', cvmId: 'vm-1', action: 'stop', requestId: 'req-1' });
  expect(parseWorkflowId(`${scheduleWorkflowId('nightly')}-2026-01-01T00:00:00Z`)).toEqual({ kind: 'schedule', scheduleId: 'nightly-2026-01-01T00:00:00Z' });
  for (const other of ['cvm/aws/x', 'teardown/cudo/', 'manual/reconcileFleet/now', '']) expect(parseWorkflowId(other)).toBeUndefined();
});

test('cvmKey: the name where the provider has names, else the id', () => {
  expect(cvmKey('phala', 'my-app', 'abc')).toBe('my-app');
  expect(cvmKey('prism', undefined, 'p-1')).toBe('p-1');
  expect(cvmKey('cudo', 'ignored', 'vm-1')).toBe('vm-1');
  expect(() => cvmKey('cudo', null, null)).toThrow(/needs a name or an id/);
});

test('every provider error kind has its failure type in the contract', () => {
  const kinds: ProviderErrorKind[] = ['auth', 'not_found', 'conflict', 'invalid_request', 'capacity', 'rate_limited', 'server', 'network', 'timeout', 'bad_response', 'cancelled'];
  const known = new Set<string>(Object.values(FailureTypes));
  for (const kind of kinds) expect(known.has(new ProviderError({ kind, provider: 'x', endpoint: 'GET /', message: 'm' }).failureType)).toBe(true);
});
