#!/usr/bin/env node
// `npm run cluster [-- --nodes 2]`: a real Temporal cluster (server 1.29.1) on the local PostgreSQL.
// Like `npm start`: install npm dependencies when missing, build lib/ when stale, then run the compiled
// src/dev/cluster/main.ts in this process (so Ctrl-C and SIGTERM reach it directly).
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
for (const step of [['scripts/ensure-deps.cjs'], ['scripts/build.cjs', '--if-stale']]) {
  const r = spawnSync(process.execPath, [join(root, step[0]), ...step.slice(1)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}
require(join(root, 'lib', 'dev', 'cluster', 'main.js'));
