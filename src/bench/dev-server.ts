// The dev server every bench section measures on: the Temporal CLI's, with each task queue in one partition and its
// one history shard reading new tasks as they come.
// - Partitions: with the default four, a batch of 60 trivial workflows took either 0.9 s or 2.6 s at random (why is
//   not known: perhaps tasks that wait on a partition no poller is on until they are forwarded), so every rate ratio
//   moved by up to 3x from batch to batch; with one, batches run at a steady 67-75 a second on the same machine.
// - Transfer queue reads: history reads each shard's transfer queue (the tasks that hand a workflow or activity task
//   to matching) at most `history.transferProcessorMaxPollRPS` times a second, 20 by default, through a token
//   bucket. The dev server has one shard, so once workflows run back to back the bucket is empty and every workflow
//   task waits up to 50 ms in history before matching can hand it to a poller that is already waiting (seen in the
//   worker's HTTP/2 frames: the poll was open, its answer came 45-48 ms after the task was scheduled). A first
//   workflow after a pause is fast, the fifth in a row is not, so every "start to result" figure depended on what ran
//   just before it. A cluster spreads workflows over hundreds of shards, each with its own bucket; 1,000 reads a
//   second lets the one shard here behave like that.
import { join } from 'node:path';
import { resolveTemporalCli } from '../dev/toolchain/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../worker/dev-server';

export const BENCH_DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'history.transferProcessorMaxPollRPS': 1_000,
};

/** A dev server on a free port (SQLite in memory), its log in `dir`. */
export async function startBenchDevServer(dir: string): Promise<DevServer> {
  return startDevServer({ cli: resolveTemporalCli(), port: await freePort(), namespace: 'default', logFile: join(dir, 'dev.log'), dynamicConfig: BENCH_DYNAMIC_CONFIG });
}
