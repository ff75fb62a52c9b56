// The Temporal environment configuration resolver shared by worker, client and CLI: flags, then env, then the
// profile of the TOML config file, then defaults; a bad profile or file is one clear line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalEnv, TemporalEnvError } from '../../../src/common/temporal-env';
import { ConfigError, loadConfig } from '../../../src/worker/config';
import { clusterConnectionOptions } from '../../../src/worker/connect';

const dir = mkdtempSync(join(tmpdir(), 'temporal-env-'));
const file = join(dir, 'temporal.toml');
writeFileSync(
  file,
  `[profile.default]
address = "default-host:7233"
namespace = "default-ns"

[profile.prod]
address = "prod.example.com:7233"
namespace = "prod-ns"
api_key = "profile-api-key-secret"

[profile.prod.grpc_meta]
x-team = "cvm"
`,
);
const home = mkdtempSync(join(tmpdir(), 'temporal-home-')); // no ~/.config/temporalio here
const defaults = { address: '127.0.0.1:7233', namespace: 'default' };

test('the profile gives address and namespace when nothing else does', () => {
  const r = resolveTemporalEnv({}, { HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }, defaults);
  expect(r).toMatchObject({ address: 'prod.example.com:7233', namespace: 'prod-ns', source: { address: 'profile', namespace: 'profile' }, profile: { name: 'prod', file } });
  expect(r.connection).toMatchObject({ apiKey: 'profile-api-key-secret', tls: true, metadata: { 'x-team': 'cvm' } });
  // Without TEMPORAL_PROFILE the file's "default" profile applies.
  expect(resolveTemporalEnv({}, { HOME: home, TEMPORAL_CONFIG_FILE: file }, defaults)).toMatchObject({ address: 'default-host:7233', namespace: 'default-ns' });
});

test('env over profile, flags over env, defaults last', () => {
  const env = { HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns' };
  expect(resolveTemporalEnv({}, env, defaults)).toMatchObject({ address: 'env-host:7233', namespace: 'env-ns', source: { address: 'env', namespace: 'env' } });
  expect(resolveTemporalEnv({ address: 'flag-host:7233', namespace: 'flag-ns' }, env, defaults)).toMatchObject({ address: 'flag-host:7233', namespace: 'flag-ns', source: { address: 'flag', namespace: 'flag' } });
  expect(resolveTemporalEnv({ profile: 'default' }, { ...env, TEMPORAL_ADDRESS: '' }, defaults)).toMatchObject({ address: 'default-host:7233', namespace: 'env-ns' });
  expect(resolveTemporalEnv({}, { HOME: home }, defaults)).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', source: { address: 'default', namespace: 'default' } });
  expect(resolveTemporalEnv({}, { HOME: home }, { namespace: 'default' }).address).toBeUndefined();
});

test('a missing profile or file, or a broken file, is one line naming the variable', () => {
  expect(() => resolveTemporalEnv({}, { HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }, defaults)).toThrow(/^TEMPORAL_PROFILE: profile "staging" is not in .*temporal\.toml/);
  expect(() => resolveTemporalEnv({}, { HOME: home, TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml') }, defaults)).toThrow(/^TEMPORAL_CONFIG_FILE: .*nope\.toml does not exist/);
  expect(() => resolveTemporalEnv({ configFile: join(dir, 'nope.toml') }, { HOME: home }, defaults)).toThrow(/^--config-file: /);
  const broken = join(dir, 'broken.toml');
  writeFileSync(broken, '[profile.x]\napi_key = "leaky-secret-value\naddress = 1\n');
  let message = '';
  try {
    resolveTemporalEnv({}, { HOME: home, TEMPORAL_CONFIG_FILE: broken }, defaults);
  } catch (err) {
    expect(err).toBeInstanceOf(TemporalEnvError);
    message = (err as Error).message;
  }
  expect(message).toMatch(/^TEMPORAL_CONFIG_FILE: .*broken\.toml is not a valid Temporal config file/);
  expect(message).not.toContain('leaky-secret-value');
  expect(message).not.toContain('\n');
});

test('the worker config takes address and namespace from the profile, env over it; a profile alone is no dev server', () => {
  const c = loadConfig({ HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
  expect(c.temporal).toMatchObject({ address: 'prod.example.com:7233', namespace: 'prod-ns' });
  expect(c.sandbox.mode).toBe('off');
  expect(loadConfig({ HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'env-ns' }).temporal.namespace).toBe('env-ns');
  expect(loadConfig({ HOME: home }).temporal).toMatchObject({ address: undefined, namespace: 'default' });
  expect(() => loadConfig({ HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toThrow(ConfigError);
  // The profile's API key and metadata reach the worker's connection, TLS on.
  const o = clusterConnectionOptions(c.temporal.address!, undefined, { HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
  expect(o).toMatchObject({ address: 'prod.example.com:7233', apiKey: 'profile-api-key-secret', tls: true, metadata: { 'x-team': 'cvm' } });
});

test('the worker config validates the codec keys file and names the variable', () => {
  const keys = join(dir, 'keys.json');
  writeFileSync(keys, JSON.stringify({ keys: [{ id: 'k1', key: Buffer.alloc(16).toString('base64'), createdAt: '2025-01-01T00:00:00Z' }] }));
  expect(() => loadConfig({ HOME: home, CVMFLOW_CODEC_KEYS_FILE: keys })).toThrow(/CVMFLOW_CODEC_KEYS_FILE .*keys\.json: keys\[0\]\.key: expected exactly 32 bytes/);
  writeFileSync(keys, JSON.stringify({ keys: [{ id: 'k1', key: Buffer.alloc(32, 1).toString('base64'), createdAt: '2025-01-01T00:00:00Z' }] }));
  expect(loadConfig({ HOME: home, CVMFLOW_CODEC_KEYS_FILE: keys }).codec.keyRing?.current).toBe('k1');
  expect(loadConfig({ HOME: home }).codec.keyRing).toBeUndefined();
});
