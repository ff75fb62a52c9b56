// The bench's CPU accounting: this process's own time and another process's from /proc, per workflow.
import { spawn } from 'node:child_process';
import { countCpu, processCpuMs } from '../../../src/bench/cpu';

/** Keeps this process busy until it has used `ms` more of CPU (not of wall time: a loaded machine may share the core). */
const spin = (ms: number) => {
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const until = cpu() + ms;
  while (cpu() < until);
};

test('countCpu divides this process\'s CPU and another process\'s among the workflows', async () => {
  // a child that keeps one core busy for a while
  const child = spawn(process.execPath, ['-e', 'const t = Date.now() + 3000; while (Date.now() < t);'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const counting = countCpu({ busy: child.pid, gone: 2 ** 22 + 12345, unknown: undefined });
    spin(400);
    const used = counting.stop(4);
    // 400 ms of this process's CPU over 4 workflows: 100 each, and a little for the counting itself
    expect(used.ownMsPerWorkflow).toBeGreaterThanOrEqual(100);
    expect(used.ownMsPerWorkflow).toBeLessThan(150);
    // the child spun meanwhile (/proc counts in 10 ms ticks)
    expect(used.othersMsPerWorkflow.busy).toBeGreaterThan(0);
    // a pid that does not exist reads as nothing, not as an error
    expect(used.othersMsPerWorkflow.gone).toBe(0);
    // a pid not known is left out, not counted as 0
    expect('unknown' in used.othersMsPerWorkflow).toBe(false);
  } finally {
    child.kill();
  }
});

test('processCpuMs reads 0 for a process that is not there and a positive figure for this one', () => {
  spin(50);
  expect(processCpuMs(process.pid)).toBeGreaterThan(0);
  expect(processCpuMs(undefined)).toBe(0);
});
