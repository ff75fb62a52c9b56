// The determinism rules are real: workflow code that imports Node built-ins or I/O modules fails lint.
// Probe files are written into src/workflows (so the real config and type information apply) and linted by
// test/support/lint-probes.ts.
import { lintProbes } from '../support/lint-probes';

const probes: Record<string, { code: string; expect: RegExp | null }> = {
  fs: { code: "import { readFileSync } from 'fs';\nexport const x = readFileSync;\n", expect: /no-restricted-imports.*'fs'.*Node built-ins/ },
  nodeHttp: { code: "import * as http from 'node:http';\nexport const x = http;\n", expect: /no-restricted-imports.*'node:http'.*Node built-ins/ },
  undici: { code: "import { request } from 'undici';\nexport const x = request;\n", expect: /'undici'.*Not allowed in workflow code/ },
  activityContext: { code: "import { Context } from '@temporalio/activity';\nexport const x = Context;\n", expect: /Not allowed in workflow code/ },
  activityValue: { code: "import { createActivities } from '../activities';\nexport const x = createActivities;\n", expect: /Import activities as types only/ },
  providerValue: { code: "import { summarizeCvm } from '../providers/phala/states';\nexport const x = summarizeCvm;\n", expect: /must not import I\/O layers.*src\/contract/ },
  clientValue: { code: "import { CvmflowClient } from '../client';\nexport const x = CvmflowClient;\n", expect: /must not import I\/O layers/ },
  processGlobal: { code: 'export const env = process.env.SECRET;\n', expect: /no-restricted-globals/ },
  floatingPromise: { code: 'async function f(): Promise<void> {}\nexport function g(): void {\n  f();\n}\n', expect: /no-floating-promises/ },
  deterministic: {
    code: "import { sleep } from '@temporalio/workflow';\nimport type { Activities } from '../activities';\nimport { classifyCudoState } from '../contract/rules/cudo';\nimport { FailureTypes } from '../contract/failures';\nexport type A = Activities;\nexport const c = [classifyCudoState, FailureTypes];\nexport async function w(): Promise<void> {\n  await sleep(1);\n}\n",
    expect: null,
  },
};

let messages: Record<string, string>;

beforeAll(() => {
  messages = lintProbes(Object.fromEntries(Object.entries(probes).map(([name, p]) => [name, { dir: 'workflows', code: p.code }])));
}, 120_000);

test.each(Object.keys(probes).filter((n) => probes[n]!.expect))('workflow code with %s fails lint', (name) => {
  expect(messages[name]).toMatch(probes[name]!.expect!);
});

test('deterministic workflow code passes lint', () => {
  expect(messages.deterministic).toBe('');
});
