// `npm test` is the gate: before Jest it type-checks src and tests and lints the tree, and a failure of either
// fails the run. Probe files with a type error and a lint error are written under test/ (never src/), checked
// with the same gate code `npm test` runs (on just these files), and removed.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

function check(files: string[]) {
  return spawnSync(process.execPath, [resolve(root, 'scripts', 'run-tests.cjs'), '--check-only', ...files], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
}

test('a test file with a type error and a file that breaks a lint rule each fail the gate, named; clean files pass', () => {
  const id = randomUUID().slice(0, 8);
  const typeProbe = `test/unit/__gate_probe_${id}_types.ts`;
  const lintProbe = `test/unit/__gate_probe_${id}_lint.ts`;
  const clean = `test/unit/__gate_probe_${id}_clean.ts`;
  // The client's results are typed by the workflow functions: a field the teardown's result lacks does not compile.
  const clientProbe = `test/unit/__gate_probe_${id}_client.ts`;
  try {
    writeFileSync(resolve(root, typeProbe), "export const port: number = '7233';\n");
    writeFileSync(resolve(root, lintProbe), 'export async function f(): Promise<void> {}\nexport function g(): void {\n  f();\n}\n');
    writeFileSync(resolve(root, clean), 'export const port: number = 7233;\n');
    writeFileSync(
      resolve(root, clientProbe),
      "import type { CvmflowClient } from '../../src/client/cvmflow-client';\n" +
        "export async function probe(c: CvmflowClient): Promise<unknown> {\n  const r = await c.result('teardownCvm', 'teardown/cudo/x');\n  return r.deletedAtt;\n}\n",
    );
    const bad = check([typeProbe, lintProbe, clientProbe]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`__gate_probe_${id}_types\\.ts.*TS2322`));
    expect(bad.stdout).toMatch(new RegExp(`__gate_probe_${id}_client\\.ts.*TS2339.*'deletedAtt' does not exist`));
    expect(bad.stdout).toMatch(/no-floating-promises/);
    expect(bad.stdout).toContain(`__gate_probe_${id}_lint.ts`);
    expect(bad.stdout.trim().split('\n').pop()).toBe('0 passed, 2 failed');
    const good = check([clean]);
    expect(good.stdout.trim().split('\n').pop()).toBe('2 passed, 0 failed');
    expect(good.status).toBe(0);
  } finally {
    for (const f of [typeProbe, lintProbe, clean, clientProbe]) rmSync(resolve(root, f), { force: true });
  }
  expect(spawnSync('git', ['status', '--porcelain', '--', 'src', 'test/unit'], { cwd: root, encoding: 'utf8' }).stdout).not.toMatch(/__gate_probe|\.tsconfig\.check/);
}, 180_000);
