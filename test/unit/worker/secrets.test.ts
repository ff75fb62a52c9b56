import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretResolver } from '../../../src/worker/secrets';

const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
writeFileSync(join(dir, 'db.pw'), 'hunter2\n');
const resolve = createSecretResolver({ env: { CVMFLOW_SECRET_TOKEN: 'tok', PHALA_API_KEY: 'worker-key' }, secretsDir: dir });

test('resolves env and file references', async () => {
  await expect(resolve('env:CVMFLOW_SECRET_TOKEN')).resolves.toBe('tok');
  await expect(resolve('file:db.pw')).resolves.toBe('hunter2');
});

test('refuses anything outside the allowed places, without echoing values', async () => {
  for (const ref of ['env:PHALA_API_KEY', 'file:../db.pw', 'file:/etc/passwd']) {
    const err = await resolve(ref).catch((e: Error) => e);
    expect(err).toMatchObject({ type: 'SecretUnavailable', nonRetryable: true });
    expect((err as Error).message).not.toContain('worker-key');
  }
  await expect(resolve('env:CVMFLOW_SECRET_MISSING')).rejects.toThrow(/set CVMFLOW_SECRET_MISSING in the worker's environment/);
  await expect(resolve('file:nope')).rejects.toThrow(/cannot read it from CVMFLOW_SECRETS_DIR \(ENOENT\)/);
  await expect(createSecretResolver({})('file:db.pw')).rejects.toThrow(/no CVMFLOW_SECRETS_DIR/);
});
