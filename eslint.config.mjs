// Lint rules: type-aware TypeScript everywhere, and Temporal's determinism rules for workflow code.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

const NO_DEV = { group: ['**/dev', '**/dev/**'], message: 'src/dev is development tooling (cluster runner, Temporal toolchain): production code must not import it.' };
const NO_SANDBOX = { group: ['**/sandbox', '**/sandbox/**'], message: 'src/sandbox simulates providers and forges attestation evidence: production layers must not import it.' };
const SANDBOX_ENTRY_ONLY = {
  group: ['**/sandbox/**'],
  message: 'The worker starts the sandboxes through their entry point (src/sandbox) only; simulator internals and the evidence issuers are not production code.',
};
const NO_TEMPORAL = { group: ['@temporalio/*'], message: 'src/attestation and src/providers import nothing from Temporal: an activity wraps them.' };

function restrict(files, patterns, ignores = []) {
  return { files, ignores, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } };
}

function layerRules() {
  return [
    restrict(['src/attestation/**/*.ts', 'src/providers/**/*.ts'], [NO_DEV, NO_SANDBOX, NO_TEMPORAL]),
    restrict(['src/activities/**/*.ts', 'src/client/**/*.ts', 'src/codec/**/*.ts', 'src/common/**/*.ts', 'src/contract/**/*.ts', 'src/observability/**/*.ts'], [NO_DEV, NO_SANDBOX]),
    restrict(['src/sandbox/**/*.ts'], [NO_DEV]),
    restrict(['src/worker/**/*.ts'], [NO_DEV, SANDBOX_ENTRY_ONLY], ['src/worker/main.ts']),
    // `npm start` without TEMPORAL_ADDRESS runs the embedded dev server, so the entry point finds (or builds) the Temporal CLI.
    restrict(['src/worker/main.ts'], [{ regex: '(^|/)dev(/(?!toolchain/temporal-cli$).*)?$', message: NO_DEV.message }, SANDBOX_ENTRY_ONLY]),
  ];
}

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '.tools/**', '.temporal/**', 'coverage/**', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: no I/O, no Node built-ins, no clocks or randomness from outside the sandbox.
    // What workflows share with the rest (names, schemas, messages, failure types, provider rules) is src/contract.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows are deterministic: no Node built-ins. Do I/O in an activity.' })),
            ...['undici', 'pino', 'pino-pretty', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'].map((name) => ({
              name,
              message: 'Not allowed in workflow code: move it to an activity or the worker.',
            })),
          ],
          patterns: [
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Import activities as types only (proxyActivities).' },
            { group: ['**/providers/**', '**/sandbox/**', '**/worker/**', '**/client', '**/client/**', '**/dev/**'], allowTypeImports: true, message: 'Workflows must not import I/O layers; what they share with them belongs in src/contract.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setInterval', 'fetch'],
    },
  },
  // Architecture: development tooling (src/dev) and the provider simulators with their evidence forgers (src/sandbox)
  // stay out of production layers; the trust and provider libraries know nothing of Temporal. One block per layer,
  // because a later block's options for the same rule replace an earlier one's. (src/workflows: the block above.)
  ...layerRules(),
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
