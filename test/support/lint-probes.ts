// Lints small probe files as if they were part of src/: each is written into its layer's folder (so the real eslint
// config and type information apply), all are linted in one eslint run, and removed again. tsconfig.json excludes
// the probe names (`__lint_probe_*`) from builds.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const ESLINT_BIN = resolve(PROJECT_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

/** Each probe's lint messages as `rule: message` lines ('' when it passes), by probe name. */
export function lintProbes(probes: Record<string, { dir: string; code: string }>): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  const files = Object.fromEntries(Object.entries(probes).map(([name, p]) => [name, resolve(PROJECT_ROOT, 'src', p.dir, `__lint_probe_${id}_${name}.ts`)]));
  try {
    for (const [name, file] of Object.entries(files)) writeFileSync(file, probes[name]!.code);
    const r = spawnSync(process.execPath, [ESLINT_BIN, '-f', 'json', ...Object.values(files)], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
    const results = JSON.parse(r.stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string; message: string }> }>;
    return Object.fromEntries(
      Object.entries(files).map(([name, file]) => [name, results.find((x) => x.filePath === file)!.messages.map((m) => `${m.ruleId}: ${m.message}`).join('\n')]),
    );
  } finally {
    for (const file of Object.values(files)) rmSync(file, { force: true });
  }
}
