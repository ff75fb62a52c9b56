// The workflows' provider port agrees with the providers' profiles, and the fleet workflows' one ownership rule.
import { PROVIDERS } from '../../../src/contract/common';
import type { CvmflowWorkflowRecord } from '../../../src/contract/fleet';
import { PROVIDER_PROFILES } from '../../../src/contract/rules/profiles';
import { isManaged, type Records } from '../../../src/workflows/support/fleet';
import { ofProvider, providerPort } from '../../../src/workflows/support/provider-port';

test.each(PROVIDERS)('%s: the port has an action for exactly the actions its profile (and so the input schema) admits', (provider) => {
  const port = providerPort(provider);
  expect(port.provider).toBe(provider);
  expect(Object.keys(port.actions).sort()).toEqual([...PROVIDER_PROFILES[provider].actions].sort());
  const stop = PROVIDER_PROFILES[provider].gracefulStop;
  if (stop) expect(port.actions[stop]).toEqual(expect.any(Function));
  // statistics: either collected or a reason why not
  expect(port.statistics === null).toBe(PROVIDER_PROFILES[provider].noStatistics !== null);
});

test('names pick one CVM on Phala and CUDO, never on Prism; only Phala and Prism have evidence to check', () => {
  expect(PROVIDERS.filter((p) => providerPort(p).uniqueNames)).toEqual(['phala', 'cudo']);
  expect(PROVIDERS.filter((p) => 'evidence' in providerPort(p))).toEqual(['phala', 'prism']);
});

test('isManaged: a CVM is cvmflow\'s only when its lifecycle recorded that very provider id', () => {
  const record = (cvmId: string | null): CvmflowWorkflowRecord => ({ workflowId: 'cvm/prism/web', runId: 'r', type: 'createAttestedPrismCvm', status: 'COMPLETED', startTime: '2026-01-01T00:00:00Z', closeTime: null, provider: 'prism', cvmName: 'web', cvmId, step: 'done', teardownAt: null });
  const records = (r?: CvmflowWorkflowRecord): Records => ({ lifecycles: new Map(r ? [['prism/web', r]] : []), teardowns: new Map() });
  const item = { provider: 'prism' as const, key: 'web', cvmId: 'id-1' };
  expect(isManaged(records(record('id-1')), item)).toBe(true);
  expect(isManaged(records(record('id-2')), item)).toBe(false); // a namesake
  expect(isManaged(records(record(null)), item)).toBe(false); // nothing recorded
  expect(isManaged(records(), item)).toBe(false);
  expect(isManaged(records(record('id-1')), { ...item, provider: 'phala' })).toBe(false);
});

test('ofProvider selects the entries about one provider', () => {
  const rows = [{ provider: 'cudo', n: 1 }, { provider: 'prism', n: 2 }, { provider: 'cudo', n: 3 }];
  expect(rows.filter(ofProvider('cudo')).map((r) => r.n)).toEqual([1, 3]);
});
