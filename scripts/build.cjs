#!/usr/bin/env node
// `npm run build`: compiles TypeScript to lib/ and bundles the workflow code once into lib/workflow-bundle.js,
// which the production worker loads (no bundling at start-up). `--if-stale` skips an up-to-date build.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundlePath = join(root, 'lib', 'workflow-bundle.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function main() {
  if (process.argv.includes('--if-stale') && existsSync(bundlePath)) {
    const inputs = Math.max(newestMtime(join(root, 'src')), ...['package.json', 'tsconfig.json'].map((f) => statSync(join(root, f)).mtimeMs));
    if (statSync(bundlePath).mtimeMs >= inputs) return;
  }
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status || 1);
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(root, 'lib', 'workflows', 'index.js'),
    // cvmflow's workflow metrics and trace propagation (src/workflows/interceptors.ts); the worker loads no others.
    workflowInterceptorModules: [join(root, 'lib', 'workflows', 'interceptors.js')],
    // evaluated once per worker and shared by every workflow, not once per workflow (src/workflows/shared-modules.ts)
    preloadModules: [join(root, 'lib', 'workflows', 'shared-modules.js')],
    logger: quietLogger(),
  });
  writeFileSync(bundlePath, code);
  process.stderr.write(`cvmflow: built lib/ and ${bundlePath} (${(code.length / 1024).toFixed(0)} KiB)\n`);
}

function quietLogger() {
  const noop = () => undefined;
  const warn = (m) => process.stderr.write(`${m}\n`);
  return { log: noop, trace: noop, debug: noop, info: noop, warn, error: warn };
}

main().catch((err) => {
  process.stderr.write(`cvmflow: build failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
