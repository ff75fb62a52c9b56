#!/usr/bin/env node
// Writes schemas/*.json from the zod schemas (via the compiled lib/client/json-schemas.js; builds if stale).
// `--check` exits 1 when the committed files differ instead of writing.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const build = spawnSync(process.execPath, [join(__dirname, 'build.cjs'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status || 1);
const { jsonSchemaFiles } = require(join(root, 'lib', 'client', 'json-schemas.js'));
const dir = join(root, 'schemas');
const files = jsonSchemaFiles();
const check = process.argv.includes('--check');
const stale = Object.keys(files).filter((f) => !existsSync(join(dir, f)) || readFileSync(join(dir, f), 'utf8') !== files[f]);
const extra = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && !(f in files)) : [];
if (check) {
  if (stale.length || extra.length) {
    process.stderr.write(`schemas/ is out of date (${[...stale, ...extra].join(', ')}): run node scripts/gen-schemas.cjs\n`);
    process.exit(1);
  }
  process.exit(0);
}
mkdirSync(dir, { recursive: true });
for (const f of stale) writeFileSync(join(dir, f), files[f]);
process.stderr.write(`schemas/: ${stale.length} written, ${Object.keys(files).length - stale.length} unchanged${extra.length ? `; not generated any more (delete them): ${extra.join(', ')}` : ''}\n`);
