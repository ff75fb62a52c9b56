#!/usr/bin/env node
// Installs npm dependencies when they are missing or older than package-lock.json, so `npm test` and
// `npm start` work on a fresh clone as the first command.
const { spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs + 1000);
if (stale) {
  const cmd = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  process.stderr.write(`cvmflow: installing npm dependencies (npm ${cmd[0]})\n`);
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath, ...cmd]] : ['npm', cmd];
  const r = spawnSync(npm[0], npm[1], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('cvmflow: npm dependencies could not be installed; check that the npm registry is reachable\n');
    process.exit(r.status || 1);
  }
}
