// CLI inputs from flags: one flag per schema field, typed by the schema; usage errors are one line, exit 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputFlags, parse } from '../../../src/client/cli/common';
import { main } from '../../../src/client/cli/main';
import { CreateCudoVmInputSchema } from '../../../src/contract/cudo';
import { ProvisionPhalaCvmInputSchema } from '../../../src/contract/phala';

test('flags become a typed input on top of the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvmflow-cli-unit-'));
  writeFileSync(join(dir, 'compose.yml'), 'services: {}\n');
  const f = inputFlags(ProvisionPhalaCvmInputSchema);
  const { values } = parse(['--name', 'my-app', '--compose-file', `@${join(dir, 'compose.yml')}`, '--vcpu', '2', '--kms', '{"type":"base"}', '--env', 'DB=env:CVMFLOW_SECRET_DB', '--no-gateway-enabled', '--public-logs', '--labels', 'team=a', '--labels', 'env=dev', '--ttl', '2h'], f.options, 'provision phala');
  const input = f.build(values, { labels: { owner: 'x' }, memoryMb: 2048 });
  expect(input).toEqual({ name: 'my-app', composeFile: 'services: {}\n', vcpu: 2, kms: { type: 'base' }, env: [{ key: 'DB', secretRef: 'env:CVMFLOW_SECRET_DB' }], gatewayEnabled: false, publicLogs: true, labels: { owner: 'x', team: 'a', env: 'dev' }, ttl: '2h', memoryMb: 2048 });
  expect(ProvisionPhalaCvmInputSchema.safeParse(input).success).toBe(true);
  const cudo = inputFlags(CreateCudoVmInputSchema, [], { name: 'vmId' });
  expect(cudo.build(parse(['--name', 'vm-1', '--ssh-keys', 'ssh-ed25519 AAAA a', '--ssh-keys', 'ssh-rsa BBBB b'], cudo.options, 'x').values, {})).toEqual({ vmId: 'vm-1', sshKeys: ['ssh-ed25519 AAAA a', 'ssh-rsa BBBB b'] });
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {} });
  return { code, stdout, stderr };
}

test.each([
  [['provision', 'cudo', '--kms', '{}'], /unknown option --kms/],
  [['provision', 'phala', '--kms', 'not json'], /--kms: expected JSON/],
  [['provision', 'cudo', '--metadata', 'novalue'], /--metadata: expected key=value, got "novalue"/],
  [['provision', 'cudo', '--vcpus'], /--vcpus <value>' argument missing|argument missing/],
  [['teardown', 'extend', 'cudo', 'vm'], /--at TIME is required/],
  [['list', 'extra'], /unexpected argument "extra"/],
  [['list', '--provider', 'aws'], /unknown provider "aws"/],
  [['watch', 'cudo', 'x', '--interval', 'fast'], /--interval expects a duration/],
  [['schedules', 'explode'], /unknown subcommand "explode"/],
  [['schedules', 'apply'], /--file F is required/],
])('usage error %j: exit 2, one line', async (argv, message) => {
  const r = await cli(...argv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});

test('help for every command group exits 0', async () => {
  for (const argv of [['--help'], ['provision', '--help'], ['teardown', '--help'], ['op', '--help'], ['status', '--help'], ['list', '--help'], ['watch', '--help'], ['schedules', '--help']]) {
    const r = await cli(...argv);
    expect({ argv, code: r.code }).toEqual({ argv, code: 0 });
    expect(r.stdout).toMatch(/usage: cvmflow/);
  }
});

// `cvmflow deploy` (README "Upgrading cvmflow"): bad flags are caught before any connection.
test.each([
  [['deploy'], /deploy: missing subcommand \(status or promote\)/],
  [['deploy', 'rollback'], /deploy: unknown subcommand "rollback"/],
  [['deploy', 'promote', 'abc', '--ramp', '150%'], /--ramp expects a percentage 0-100 .*got "150%"/],
  [['deploy', 'promote', 'abc', '--ramp', 'half'], /--ramp expects a percentage/],
  [['deploy', 'status', '--ramp', '10'], /--ramp belongs to deploy promote/],
  [['deploy', 'status', 'extra'], /unexpected argument "extra"/],
])('cvmflow %j is a usage error (exit 2) before connecting', async (argv, message) => {
  const r = await cli(...argv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});

test('cvmflow deploy --help', async () => {
  const r = await cli('deploy', '--help');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('cvmflow deploy promote [BUILD_ID] [--ramp N%]');
});
