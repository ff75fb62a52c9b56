#!/usr/bin/env node
// `cvmflow` command line: runs the compiled CLI (lib/client/cli/main.js).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'lib', 'client', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('cvmflow: the CLI is not built: run npm run build first\n');
  process.exit(2);
}
const { main: run } = require(main);
run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cvmflow: ${err && err.message ? err.message.split('\n')[0] : err}\n`);
    process.exitCode = 1;
  },
);
