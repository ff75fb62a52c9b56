#!/usr/bin/env node
// `npm test`: the whole suite, ending with the plain line `N passed, N failed`:
//   1. unit + integration (one real Temporal dev server for the run), in parallel workers;
//   2. the cluster tests (a real 2-node Temporal cluster on the local PostgreSQL), one file at a time.
// Extra arguments go to the first jest run only (e.g. `npm test -- test/unit/config`), which then skips
// the cluster run; CVMFLOW_SKIP_CLUSTER_TESTS=1 skips it too.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'cvmflow-test-'));
const started = Date.now();

function runJest(name, args) {
  const summaryFile = join(dir, `${name}.json`);
  const t0 = Date.now();
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CVMFLOW_TEST_SUMMARY_FILE: summaryFile },
  });
  let summary = { passed: 0, failed: 1, skipped: 0 };
  if (existsSync(summaryFile)) summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  if (jest.status !== 0 && summary.failed === 0) summary.failed = 1; // jest failed outside any test (setup, teardown)
  process.stdout.write(`\n${name} tests took ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summary.passed} passed, ${summary.failed} failed\n`);
  return summary;
}

const extra = process.argv.slice(2);
const runs = [runJest('unit+integration', ['--maxWorkers=2', ...extra])];
if (extra.length === 0 && process.env.CVMFLOW_SKIP_CLUSTER_TESTS !== '1') runs.push(runJest('cluster', ['-c', 'jest.cluster.config.js']));
rmSync(dir, { recursive: true, force: true });

const total = runs.reduce((a, s) => ({ passed: a.passed + s.passed, failed: a.failed + s.failed, skipped: a.skipped + (s.skipped || 0) }), { passed: 0, failed: 0, skipped: 0 });
process.stdout.write(`\ntest run took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}\n`);
process.exit(total.failed === 0 ? 0 : 1);
