#!/usr/bin/env node
// Makes sure the system Chromium the browser test drives (/usr/bin/chromium, Debian's `chromium` package) is
// installed: installs it with apt-get when it is missing and this process can (root, apt-get present), running
// `apt-get update` first when the package is not known yet. Otherwise it fails with one line naming the fix.
// Usable as a script (exit code) or a module (`ensureChromium()` returns the path or throws).
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');

const CHROMIUM = process.env.CVMFLOW_CHROMIUM || '/usr/bin/chromium';
const FIX = 'install it with `apt-get install -y chromium` (as root), or set CVMFLOW_CHROMIUM to a Chromium binary';

// apt-get's own output goes to stderr: as a script, stdout carries the path and nothing else (the test setup reads it).
function apt(args, log) {
  log(`cvmflow: apt-get ${args.join(' ')}`);
  return spawnSync('apt-get', args, { stdio: ['ignore', 2, 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function ensureChromium(log = (line) => process.stderr.write(`${line}\n`)) {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) throw new Error(`Chromium is missing at ${CHROMIUM} and cannot be installed here (${!hasApt ? 'no apt-get' : 'not root'}): ${FIX}`);
  log('cvmflow: Chromium is missing; installing Debian\'s chromium package for the browser test');
  const known = spawnSync('apt-cache', ['show', 'chromium'], { stdio: 'ignore' }).status === 0;
  if (!known) apt(['update'], log);
  const r = apt(['install', '-y', 'chromium'], log);
  if (r.status !== 0 && known) {
    // A stale package list: refresh it and try once more.
    apt(['update'], log);
    apt(['install', '-y', 'chromium'], log);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium could not be installed at ${CHROMIUM} (apt-get failed, see above): ${FIX}`);
  return CHROMIUM;
}

module.exports = { ensureChromium, CHROMIUM };

if (require.main === module) {
  try {
    process.stdout.write(`${ensureChromium()}\n`);
  } catch (err) {
    process.stderr.write(`cvmflow: ${err.message}\n`);
    process.exit(1);
  }
}
