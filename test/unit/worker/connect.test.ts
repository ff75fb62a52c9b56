import { clusterConnectionOptions } from '../../../src/worker/connect';

test('an API key from the config (e.g. TEMPORAL_API_KEY_FILE) reaches the connection with TLS on', () => {
  const o = clusterConnectionOptions('ns.acct.tmprl.cloud:7233', 'key-from-file');
  expect(o).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', apiKey: 'key-from-file' });
  expect(o.tls).toBeTruthy();
});

test('without a key the connection is plain unless the Temporal env config says otherwise', () => {
  const o = clusterConnectionOptions('temporal.internal:7233');
  expect(o.address).toBe('temporal.internal:7233');
  expect(o.apiKey).toBeUndefined();
});
