// The `cvmflow` CLI as a separate process (async, so an in-process worker keeps working meanwhile).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const root = resolve(__dirname, '..', '..');

/** Runs `node bin/cvmflow.cjs ...args` with exactly `env` (plus PATH). */
export function runCvmflow(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'cvmflow.cjs'), ...args], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
