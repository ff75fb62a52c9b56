#!/usr/bin/env node
// `npm test`: the whole suite, ending with the plain line `N passed, N failed`:
//   0. the gate: src and tests type-check (tsconfig.test.json) and the whole tree lints; each counts as one
//      check that passed or failed (a failed gate fails the run; the tests still run, to show everything);
//   1. unit + integration (one real Temporal dev server for the run), in parallel workers;
//   2. the cluster tests (a real 2-node Temporal cluster on the local PostgreSQL), one file at a time.
// Extra arguments go to the first jest run only (e.g. `npm test -- test/unit/config`), which then skips
// the gate and the cluster run; CVMFLOW_SKIP_CLUSTER_TESTS=1 skips the cluster run too.
// `node scripts/run-tests.cjs --check-only [files...]` runs just the gate (on those files, else the whole tree).
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');

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

/** One gate step: a tool run that passes or fails, printed with its output when it fails. */
function gate(name, command, args) {
  const t0 = Date.now();
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ok = r.status === 0;
  if (!ok) process.stdout.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  process.stdout.write(`${name} ${ok ? 'passed' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  return ok;
}

/** Type-check and lint `files` (default: every file of src and test, and the whole tree for lint). */
function runGate(files) {
  let typecheck;
  if (files.length === 0) typecheck = gate('typecheck', process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.test.json']);
  else {
    // the same compiler options, on just these files (and what they import)
    const config = join(root, `.tsconfig.check-${process.pid}.json`);
    writeFileSync(config, JSON.stringify({ extends: './tsconfig.test.json', include: files.map((f) => relative(root, join(process.cwd(), f))) }));
    try {
      typecheck = gate('typecheck', process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config]);
    } finally {
      rmSync(config, { force: true });
    }
  }
  const lint = gate('lint', process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', ...(files.length ? files.map((f) => join(process.cwd(), f)) : ['.'])]);
  return { passed: [typecheck, lint].filter(Boolean).length, failed: [typecheck, lint].filter((x) => !x).length, skipped: 0 };
}

const extra = process.argv.slice(2);
if (extra[0] === '--check-only') {
  const s = runGate(extra.slice(1));
  process.stdout.write(`${s.passed} passed, ${s.failed} failed\n`);
  process.exit(s.failed === 0 ? 0 : 1);
}
const runs = extra.length === 0 ? [runGate([])] : [];
runs.push(runJest('unit+integration', ['--maxWorkers=2', ...extra]));
if (extra.length === 0 && process.env.CVMFLOW_SKIP_CLUSTER_TESTS !== '1') runs.push(runJest('cluster', ['-c', 'jest.cluster.config.js']));
rmSync(dir, { recursive: true, force: true });

const total = runs.reduce((a, s) => ({ passed: a.passed + s.passed, failed: a.failed + s.failed, skipped: a.skipped + (s.skipped || 0) }), { passed: 0, failed: 0, skipped: 0 });
process.stdout.write(`\ntest run took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}\n`);
process.exit(total.failed === 0 ? 0 : 1);
