// The SSE parser over a Phala state watch as the server frames it (provider-notes/phala.md §5), cut into two
// network chunks at every byte: a `\r\n` split between chunks must not lose the event's type.
import { parseSse, type SseEvent } from '../../../../src/providers/http/sse';

const events: SseEvent[] = [
  { event: 'state', data: '{"id":"app_1","name":"café","status":"starting","boot_progress":"pulling images"}' },
  { event: 'state', data: '{"id":"app_1","name":"café","status":"running","uptime":"3s"}' },
  { event: 'complete', data: '{"status":"running","elapsed":7.5,"target":"running"}' },
];

function frame(eol: string): Buffer {
  const body = events.map((e) => `event: ${e.event}${eol}data: ${e.data}${eol}${eol}`).join(`: keep-alive${eol}${eol}`);
  return Buffer.from(`: watching app_1${eol}${eol}${body}`, 'utf8');
}

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

async function parseAll(parts: Buffer[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(chunks(...parts))) out.push(e);
  return out;
}

test.each([
  ['\\r\\n', '\r\n'],
  ['\\n', '\n'],
  ['\\r', '\r'],
])('split into two chunks at every byte (%s line endings), the same typed events come out', async (_name, eol) => {
  const stream = frame(eol);
  expect(await parseAll([stream])).toEqual(events);
  for (let at = 1; at < stream.length; at++) {
    const got = await parseAll([stream.subarray(0, at), stream.subarray(at)]);
    if (JSON.stringify(got) !== JSON.stringify(events)) throw new Error(`split at byte ${at} of ${stream.length}: ${JSON.stringify(got)}`);
  }
});

test('one byte per chunk, including inside a UTF-8 character and between \\r and \\n', async () => {
  const stream = frame('\r\n');
  expect(await parseAll([...stream].map((b) => Buffer.from([b])))).toEqual(events);
});

test('the case the hand-written parser lost: "event: state\\r" then "\\ndata: …"', async () => {
  const got = await parseAll([Buffer.from('event: state\r'), Buffer.from('\ndata: {"status":"running"}\r\n\r\n')]);
  expect(got).toEqual([{ event: 'state', data: '{"status":"running"}' }]);
});
