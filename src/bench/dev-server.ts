// The dev server every bench section measures on: the Temporal CLI's, with each task queue in one partition (and
// its history shard reading new tasks as every dev server cvmflow starts does: DEV_SERVER_TRANSFER_READS in
// src/worker/dev-server.ts says why). With the default four partitions, a batch of 60 trivial workflows took either
// 0.9 s or 2.6 s at random (why is not known: perhaps tasks that wait on a partition no poller is on until they are
// forwarded), so every rate ratio moved by up to 3x from batch to batch; with one, batches run at a steady 67-75 a
// second on the same machine.
import { join } from 'node:path';
import { resolveTemporalCli } from '../dev/toolchain/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../worker/dev-server';

const BENCH_DYNAMIC_CONFIG = { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 };

/** A dev server on a free port (SQLite in memory), its log in `dir`. */
export async function startBenchDevServer(dir: string): Promise<DevServer> {
  return startDevServer({ cli: resolveTemporalCli(), port: await freePort(), namespace: 'default', logFile: join(dir, 'dev.log'), dynamicConfig: BENCH_DYNAMIC_CONFIG });
}
