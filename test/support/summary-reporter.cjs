// Writes the run's counts to a file; scripts/run-tests.cjs prints them as the last line: `N passed, N failed`.
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      // A suite that failed to run (syntax error, setup failure) counts as one failure so it cannot go unseen.
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    if (process.env.CVMFLOW_TEST_SUMMARY_FILE) writeFileSync(process.env.CVMFLOW_TEST_SUMMARY_FILE, JSON.stringify(summary));
  }
}
module.exports = SummaryReporter;
