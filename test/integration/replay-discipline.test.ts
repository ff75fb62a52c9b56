// The rule that protects running workflows from an upgrade: a change to a workflow's code that the histories of
// an earlier release no longer replay fails the suite (test/integration/replay.test.ts), and the message names
// the workflow, the release whose history broke, and the fix. Proved on a copy of the workflow source (under
// .cache/, never in src/) with one line of teardownCvm changed: first without patched() (fails as described),
// then the same change behind patched() (replays).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadGoldenSet, replayFailures } from '../support/histories';

const root = resolve(__dirname, '..', '..');
const copy = join(root, '.cache', `replay-discipline-${process.pid}`);
const teardownFile = join(copy, 'src', 'workflows', 'teardown-cvm.ts');
const LINE = '  await gracefulStop(acts, input, target, progress);';
const teardowns = loadGoldenSet().histories.filter((h) => h.workflowType === 'teardownCvm');

beforeAll(() => {
  mkdirSync(copy, { recursive: true });
  cpSync(join(root, 'src'), join(copy, 'src'), { recursive: true });
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

async function bundleWith(edit: (source: string) => string) {
  const original = readFileSync(teardownFile, 'utf8');
  expect(original).toContain(LINE);
  writeFileSync(teardownFile, edit(original));
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(copy, 'src', 'workflows', 'index.ts'),
    workflowInterceptorModules: [join(copy, 'src', 'workflows', 'interceptors.ts')],
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
  });
  writeFileSync(teardownFile, original);
  return { code };
}

/** One more provider call before the graceful stop: an extra activity that old histories do not have. */
const extraCall = 'await acts.observeCvm({ provider: input.provider, cvmId: target.cvmId });';

test('one line of teardownCvm changed without patched() fails, naming the workflow, the release and the fix', async () => {
  expect(teardowns.length).toBeGreaterThan(0);
  const bundle = await bundleWith((s) => s.replace(LINE, `  ${extraCall} ${LINE.trim()}`));
  const failures = await replayFailures(bundle, teardowns);
  expect(failures.length).toBeGreaterThan(0);
  for (const f of failures) {
    expect(f).toMatch(/^teardownCvm: /);
    expect(f).toMatch(/release \d+\.\d+\.\d+ recorded \(test\/histories\/\d+\.\d+\.\d+\/teardownCvm\//);
    expect(f).toMatch(/[Nn]ondeterminism|DeterminismViolation/);
    expect(f).toContain("if (patched('<change-id>'))");
    expect(f).toContain('test/histories/retired.json');
  }
}, 300_000);

test('the same change behind patched() replays every release', async () => {
  const bundle = await bundleWith((s) =>
    // import patched() unless the workflow already does
    (/import \{[^}]*\bpatched\b[^}]*\} from '@temporalio\/workflow'/.test(s) ? s : s.replace("import { allHandlersFinished,", "import { patched, allHandlersFinished,")).replace(LINE, `  if (patched('probe-extra-observe')) ${extraCall}\n${LINE}`),
  );
  expect(await replayFailures(bundle, teardowns)).toEqual([]);
}, 300_000);

test('the copy lives outside src/ and nothing was left in src/', () => {
  expect(copy.startsWith(join(root, '.cache'))).toBe(true);
  expect(readFileSync(join(root, 'src', 'workflows', 'teardown-cvm.ts'), 'utf8')).not.toContain('probe-extra-observe');
  expect(existsSync(join(root, 'src', 'workflows', 'teardown-cvm.ts'))).toBe(true);
});
