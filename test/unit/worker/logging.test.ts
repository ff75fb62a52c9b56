import { PassThrough } from 'node:stream';
import { createLogger, PinoTemporalLogger } from '../../../src/worker/logging';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { stream, lines };
}

test('JSON lines with secret-bearing fields redacted, top level and nested', async () => {
  const { stream, lines } = capture();
  const log = createLogger({ level: 'info', format: 'json', destination: stream });
  log.info({ token: 'tok-123', apiKey: 'k-456', request: { authorization: 'Bearer abc', path: '/cvms' }, cvm: { env: [{ key: 'DB', value: 'pw' }] } }, 'called');
  await new Promise((r) => setImmediate(r));
  expect(lines).toHaveLength(1);
  const text = JSON.stringify(lines[0]);
  for (const secret of ['tok-123', 'k-456', 'Bearer abc', '"pw"']) expect(text).not.toContain(secret);
  expect(lines[0]).toMatchObject({ msg: 'called', name: 'cvmflow', request: { path: '/cvms', authorization: '[redacted]' } });
});

test('the Temporal logger adapter forwards level, message and metadata', async () => {
  const { stream, lines } = capture();
  const t = new PinoTemporalLogger(createLogger({ level: 'debug', format: 'json', destination: stream }));
  t.warn('activity failed', { workflowId: 'cvm/phala/a', activityId: '3' });
  t.debug('detail');
  t.trace('dropped below level');
  await new Promise((r) => setImmediate(r));
  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    [40, 'activity failed'],
    [20, 'detail'],
  ]);
  expect(lines[0]).toMatchObject({ workflowId: 'cvm/phala/a', activityId: '3' });
});
