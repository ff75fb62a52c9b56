// The layer rules are real: production code that imports development tooling (src/dev), the sandbox's internals or
// evidence forgers, or (in the trust and provider libraries) Temporal fails lint. Probes go into the layer they test.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ESLINT_BIN as eslint, lintProbes, PROJECT_ROOT as root } from '../support/lint-probes';

const DEV = /no-restricted-imports.*src\/dev is development tooling/;
const SANDBOX = /no-restricted-imports.*src\/sandbox simulates providers and forges attestation evidence/;

const probes: Record<string, { dir: string; code: string; expect: RegExp | null }> = {
  workerDevCluster: { dir: 'worker', code: "import { startCluster } from '../dev/cluster';\nexport const x = startCluster;\n", expect: DEV },
  workerDevToolchain: { dir: 'worker', code: "import { resolveTemporalCli } from '../dev/toolchain/temporal-cli';\nexport const x = resolveTemporalCli;\n", expect: DEV },
  workerSandboxInternals: {
    dir: 'worker',
    code: "import { createSandboxAmdChain } from '../sandbox/evidence/snp-issuer';\nexport const x = createSandboxAmdChain;\n",
    expect: /no-restricted-imports.*through their entry point \(src\/sandbox\) only/,
  },
  workerSandboxEntry: { dir: 'worker', code: "import { startSandboxes } from '../sandbox';\nexport const x = startSandboxes;\n", expect: null },
  attestationSandbox: { dir: 'attestation', code: "import { seq } from '../sandbox/evidence/der-writer';\nexport const x = seq;\n", expect: SANDBOX },
  attestationTemporal: { dir: 'attestation', code: "import { ApplicationFailure } from '@temporalio/common';\nexport const x = ApplicationFailure;\n", expect: /no-restricted-imports.*import nothing from Temporal/ },
  attestationClean: { dir: 'attestation', code: "import { verifyEvidence } from './verify';\nexport const x = verifyEvidence;\n", expect: null },
  providersSandbox: { dir: 'providers', code: "import { startSandboxes } from '../sandbox';\nexport const x = startSandboxes;\n", expect: SANDBOX },
  clientDev: { dir: 'client', code: "import { TOOLS_DIR } from '../dev/toolchain/paths';\nexport const x = TOOLS_DIR;\n", expect: DEV },
  sandboxDev: { dir: 'sandbox', code: "import { startCluster } from '../dev/cluster';\nexport const x = startCluster;\n", expect: DEV },
  sandboxEvidence: { dir: 'sandbox', code: "import { createSandboxAmdChain } from './evidence/snp-issuer';\nexport const x = createSandboxAmdChain;\n", expect: null },
};

let messages: Record<string, string>;

beforeAll(() => {
  messages = lintProbes(probes);
}, 120_000);

test.each(Object.keys(probes).filter((n) => probes[n]!.expect))('%s fails lint', (name) => {
  expect(messages[name]).toMatch(probes[name]!.expect!);
});

test.each(Object.keys(probes).filter((n) => !probes[n]!.expect))('%s passes lint', (name) => {
  expect(messages[name]).toBe('');
});

test("the worker's entry point may use the Temporal CLI finder (the embedded dev server of `npm start`) and nothing else of src/dev", () => {
  expect(readFileSync(resolve(root, 'src', 'worker', 'main.ts'), 'utf8')).toContain("from '../dev/toolchain/temporal-cli'");
  const lint = spawnSync(process.execPath, [eslint, '-f', 'json', 'src/worker/main.ts'], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
  expect((JSON.parse(lint.stdout) as Array<{ messages: unknown[] }>)[0]!.messages).toEqual([]);
  // main.ts cannot be probed with a file of its own name, so its exception is checked on the configuration eslint applies to it
  const config = spawnSync(process.execPath, [eslint, '--print-config', 'src/worker/main.ts'], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
  const [, { patterns }] = (JSON.parse(config.stdout) as { rules: Record<string, [number, { patterns: Array<{ regex?: string }> }]> }).rules['@typescript-eslint/no-restricted-imports']!;
  const dev = new RegExp(patterns.find((p) => p.regex)!.regex!, 'iu');
  expect(['../dev/cluster', '../dev/toolchain/temporal-server', '../dev/toolchain/paths', '../dev'].filter((s) => !dev.test(s))).toEqual([]);
  expect(['../dev/toolchain/temporal-cli', './dev-server', './dev-codec-server'].filter((s) => dev.test(s))).toEqual([]);
}, 120_000);
