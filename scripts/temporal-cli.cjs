#!/usr/bin/env node
// `npm run temporal-cli -- <args>`: the Temporal CLI cvmflow uses (TEMPORAL_CLI, `temporal` on PATH, the project's
// cached build, else built once with `go install` into .tools/bin), run with your arguments.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const build = spawnSync(process.execPath, [join(__dirname, 'build.cjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const { resolveTemporalCli } = require(join(root, 'lib', 'dev', 'toolchain', 'temporal-cli.js'));
let cli;
try {
  cli = resolveTemporalCli();
} catch (err) {
  process.stderr.write(`cvmflow: ${err.message}\n`);
  process.exit(1);
}
const r = spawnSync(cli, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
