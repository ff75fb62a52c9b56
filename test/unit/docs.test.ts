// The README is part of the product: its configuration table and commands must match the code.
import { renderEndpoints } from '../../src/client/cli/endpoints';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES } from '../../src/worker/config';

const root = resolve(__dirname, '..', '..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

test('every configuration variable is documented in the README', () => {
  const undocumented = CONFIG_VARIABLES.filter((v) => !v.endsWith('_FILE') && !readme.includes(`\`${v}\``));
  expect(undocumented).toEqual([]);
});

test('CI runs exactly the README test command', () => {
  expect(readme).toMatch(/^npm test\s+#/m);
  const ci = readFileSync(resolve(root, '.ci', 'run'), 'utf8');
  const commands = ci.split('\n').filter((l) => l.trim() && !l.startsWith('#') && !/^(set|cd) /.test(l));
  expect(commands).toEqual(['npm test']);
});

test('the README endpoint table is the catalogue', () => {
  const between = /<!-- endpoints:begin -->\n([\s\S]*?)<!-- endpoints:end -->/.exec(readme);
  expect(between?.[1]).toBe(renderEndpoints('markdown'));
});
