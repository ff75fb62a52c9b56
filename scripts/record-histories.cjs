#!/usr/bin/env node
// `npm run record-histories`: records the golden histories of this release (the package.json version) into
// test/histories/<version>/ by running the integration tests that record one (those calling recordHistory),
// then writes the release's manifest. A release's histories are recorded once: bump the version first.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const dir = join(root, 'test', 'histories', version);
if (existsSync(dir)) {
  process.stderr.write(
    `cvmflow: test/histories/${version}/ exists: release ${version}'s histories are recorded already and replay forever.\n` +
      '  Bump "version" in package.json for the new release, then run `npm run record-histories` again.\n',
  );
  process.exit(2);
}

function testFiles(d) {
  return readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.ts') && readFileSync(p, 'utf8').includes('recordHistory(') ? [relative(root, p)] : [];
  });
}
const files = testFiles(join(root, 'test', 'integration')).sort();
process.stderr.write(`cvmflow: recording release ${version}'s histories from ${files.length} test files:\n  ${files.join('\n  ')}\n`);
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--selectProjects', 'integration', '--maxWorkers=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CVMFLOW_RECORD_HISTORIES: '1', CVMFLOW_HISTORIES_RELEASE: version },
});
if (jest.status !== 0) {
  process.stderr.write(`cvmflow: the recording tests failed; test/histories/${version}/ is incomplete: delete it, fix the tests and record again\n`);
  process.exit(1);
}
const entries = readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((e) => readdirSync(join(dir, e.name)).filter((f) => f.endsWith('.json')).map((f) => `${e.name}/${f.replace(/\.json$/, '')}`))
  .sort();
writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(entries, null, 1)}\n`);
process.stderr.write(`cvmflow: recorded ${entries.length} histories into test/histories/${version}/ (manifest.json lists them); commit the folder\n`);
