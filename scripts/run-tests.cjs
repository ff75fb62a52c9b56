#!/usr/bin/env node
// `npm test`: the whole suite (unit + integration on a real Temporal dev server), ending with the plain
// line `N passed, N failed`. Extra arguments go to jest (e.g. `npm test -- test/unit/config.test.ts`).
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'cvmflow-test-'));
const summaryFile = join(dir, 'summary.json');
const started = Date.now();
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--maxWorkers=2', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CVMFLOW_TEST_SUMMARY_FILE: summaryFile },
});
let summary = { passed: 0, failed: 1, skipped: 0 };
if (existsSync(summaryFile)) summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
rmSync(dir, { recursive: true, force: true });
if (jest.status !== 0 && summary.failed === 0) summary.failed = 1; // jest failed outside any test (setup, teardown)
process.stdout.write(`\ntest run took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}\n`);
process.exit(jest.status === 0 && summary.failed === 0 ? 0 : 1);
