import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalCli, ToolchainError } from '../../../src/dev/toolchain/temporal-cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'tcli-'));

function fakeBinary(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\necho fake\n');
  chmodSync(p, 0o755);
  return p;
}

test('TEMPORAL_CLI wins when it is executable', () => {
  const bin = fakeBinary(tmp(), 'my-temporal');
  expect(resolveTemporalCli({ env: { TEMPORAL_CLI: bin, PATH: '' }, goCandidates: [] })).toBe(bin);
});

test('a TEMPORAL_CLI that is not executable is a clear error', () => {
  expect(() => resolveTemporalCli({ env: { TEMPORAL_CLI: '/nonexistent/temporal' }, goCandidates: [] })).toThrow(/TEMPORAL_CLI=\/nonexistent\/temporal is not an executable file/);
});

test('`temporal` on PATH is reused', () => {
  const dir = tmp();
  const bin = fakeBinary(dir, 'temporal');
  expect(resolveTemporalCli({ env: { PATH: `/nonexistent:${dir}` }, goCandidates: [] })).toBe(bin);
});

test('without the CLI and without Go, the error names every way to provide it', () => {
  let message = '';
  try {
    resolveTemporalCli({ env: { PATH: '/nonexistent' }, goCandidates: [], toolsDir: tmp() });
  } catch (err) {
    expect(err).toBeInstanceOf(ToolchainError);
    message = (err as Error).message;
  }
  expect(message).toMatch(/install Go >= 1\.25/);
  expect(message).toMatch(/`temporal` binary on PATH/);
  expect(message).toMatch(/TEMPORAL_CLI=/);
  expect(message).toMatch(/TEMPORAL_ADDRESS/);
});

test('a failing Go build is reported in one clear message', () => {
  const go = fakeBinary(tmp(), 'go'); // prints "fake" and exits 0 without producing a binary
  const lines: string[] = [];
  expect(() => resolveTemporalCli({ env: { PATH: '/nonexistent' }, goCandidates: [go], toolsDir: tmp(), log: (l) => lines.push(l) })).toThrow(/building the Temporal CLI failed/);
  expect(lines[0]).toMatch(/building the Temporal CLI v1\.5\.1 .* \(about 2\.5 minutes the first time/);
});
