// CPU time of the processes a bench batch runs on: this one (its worker, the bench's client) and others by pid
// (the dev server, a sandbox provider), so a rate can be set beside what the whole machine spent on it.
import { readFileSync } from 'node:fs';

/** CPU time (user + system) a process has used, in ms, from /proc (0 when it cannot be read). */
export function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

function ownCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/**
 * Starts counting: `stop(n)` gives the CPU per workflow this process and each other process spent since. An other
 * whose pid is undefined (not known, not on this machine) is left out of the result.
 */
export function countCpu<K extends string>(others: Partial<Record<K, number>> = {}) {
  const own = ownCpuMs();
  const pids = Object.entries(others).filter((e): e is [K, number] => e[1] !== undefined);
  const before = pids.map(([, pid]) => processCpuMs(pid));
  return {
    stop(workflows: number): { ownMsPerWorkflow: number; othersMsPerWorkflow: Partial<Record<K, number>> } {
      return {
        ownMsPerWorkflow: (ownCpuMs() - own) / workflows,
        othersMsPerWorkflow: Object.fromEntries(pids.map(([k, pid], i) => [k, (processCpuMs(pid) - before[i]!) / workflows])) as Partial<Record<K, number>>,
      };
    },
  };
}
