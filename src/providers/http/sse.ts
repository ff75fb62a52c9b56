// Server-sent events (WHATWG HTML §9.2) through `eventsource-parser`, a maintained parser that keeps a line ending
// split across network chunks (`\r` then `\n`) from ending the line twice and losing the event's type.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

export async function* parseSse(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<SseEvent> {
  const ready: SseEvent[] = [];
  let retry: number | undefined;
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => ready.push({ event: m.event || 'message', data: m.data, ...(m.id !== undefined ? { id: m.id } : {}), ...(retry !== undefined ? { retry } : {}) }),
    onRetry: (ms: number) => {
      retry = ms;
    },
  });
  const decoder = new TextDecoder();
  let last = '';
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text) last = text;
    parser.feed(text);
    while (ready.length > 0) yield ready.shift()!;
  }
  // A `\r` that ended the stream ended its line; the parser is still waiting to see whether `\n` follows. (An
  // event without its blank line is dropped, as the standard says.)
  if (last.endsWith('\r')) parser.feed('\n');
  while (ready.length > 0) yield ready.shift()!;
}
