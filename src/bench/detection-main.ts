// Runnable entry: `node lib/bench/detection-main.js [perRound] [--json]` prints the detection benchmark alone.
// CVMFLOW_BENCH_DETECTION_BUDGET sets the waits' requestBudget (default: their own default);
// CVMFLOW_BENCH_DETECTION_PROVIDERS (e.g. `phala,cudo`) limits the providers.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchDetection, formatDetectionRows } from './detection';

Runtime.install({ logger: new DefaultLogger('WARN') });
const args = process.argv.slice(2);
const perRound = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.CVMFLOW_BENCH_DETECTION_COUNT ?? '8');
const budget = process.env.CVMFLOW_BENCH_DETECTION_BUDGET ? Number(process.env.CVMFLOW_BENCH_DETECTION_BUDGET) : undefined;

const providers = process.env.CVMFLOW_BENCH_DETECTION_PROVIDERS?.split(',').filter((p): p is 'phala' | 'prism' | 'cudo' => ['phala', 'prism', 'cudo'].includes(p));

benchDetection({ perRound, requestBudget: budget, ...(providers?.length ? { providers } : {}) })
  .then((rows) => {
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else for (const line of formatDetectionRows(rows)) process.stdout.write(`${line}\n`);
    process.exit(0);
  })
  .catch((err: unknown) => {
    process.stderr.write(`detection bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
