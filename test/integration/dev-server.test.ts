// The embedded dev server registers cvmflow's search attributes even on a database created before they
// existed (start-dev's flags only apply to a fresh database).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchAttributeRegistrations } from '../../src/contract/search-attributes';
import { DEV_SERVER_TRANSFER_READS, freePort, startDevServer } from '../../src/worker/dev-server';

test('an old database gets the missing search attributes at start', async () => {
  const cli = process.env.CVMFLOW_TEST_TEMPORAL_CLI!;
  const dir = mkdtempSync(join(tmpdir(), 'devdb-'));
  const dbFile = join(dir, 'dev.db');
  const port = await freePort();
  // A database made by a plain dev server, without cvmflow's attributes.
  const plain = spawn(cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFile, '--log-level', 'error'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (spawnSync(cli, ['operator', 'cluster', 'health', '--address', `127.0.0.1:${port}`]).status === 0) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  await new Promise<void>((r) => {
    plain.once('exit', () => r());
    plain.kill('SIGTERM');
  });

  const server = await startDevServer({ cli, port, dbFile, namespace: 'default', logFile: join(dir, 'log') });
  try {
    const list = spawnSync(cli, ['operator', 'search-attribute', 'list', '--address', server.address, '-o', 'json'], { encoding: 'utf8' });
    const custom = (JSON.parse(list.stdout) as { customAttributes: Record<string, string> }).customAttributes;
    for (const { name, cliType } of searchAttributeRegistrations) expect(custom[name]).toBe(`INDEXED_VALUE_TYPE_${cliType.toUpperCase()}`);
    // Its one history shard reads new tasks up to 1,000 times a second, not the default 20 (README, Performance).
    const argv = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(DEV_SERVER_TRANSFER_READS)) expect(argv).toContain(`${k}=${v}`);
  } finally {
    await server.stop();
  }
});
