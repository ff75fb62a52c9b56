// `npm run test:cluster`: tests on a real 2-node Temporal cluster (server 1.29.1) backed by the local
// PostgreSQL, started once per run by test/cluster/global-setup.ts with per-run databases on free ports.
// Files run one at a time: a file may kill and restart a node, which the others must not see half-done.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'cluster',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  maxWorkers: 1,
  testTimeout: 180000,
  slowTestThreshold: 60,
  forceExit: true,
};
