// scripts/ensure-chromium.cjs as the test setup runs it (stdout piped): when it has to install Chromium, apt-get's
// output must not end up in front of the path it prints (a fresh machine's browser test once launched
// "Reading package lists... /usr/bin/chromium"). apt-get and apt-cache are stand-ins on PATH that talk on stdout
// and create the binary; the test runs only where the script may install (root).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', '..', 'scripts', 'ensure-chromium.cjs');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

(isRoot ? test : test.skip)('installing Chromium prints only its path on stdout; apt-get talks on stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-ensure-chromium-'));
  const bin = join(dir, 'bin');
  const chromium = join(dir, 'chromium');
  spawnSync('mkdir', ['-p', bin]);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake('apt-cache', 'echo "Package: chromium"; exit 0');
  fake('apt-get', `echo "Reading package lists..."; echo "Building dependency tree..."; if [ "$1" = install ]; then touch '${chromium}'; fi; exit 0`);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CVMFLOW_CHROMIUM: chromium } });
  expect(r.status).toBe(0);
  expect(existsSync(chromium)).toBe(true);
  expect(r.stdout).toBe(`${chromium}\n`);
  expect(r.stderr).toContain('Reading package lists...');
  expect(r.stderr).toContain('apt-get install -y chromium');
});

test('with Chromium in place it prints its path and installs nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-ensure-chromium-'));
  const chromium = join(dir, 'chromium');
  writeFileSync(chromium, '');
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent', CVMFLOW_CHROMIUM: chromium } });
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${chromium}\n`);
  expect(r.stderr).toBe('');
});
