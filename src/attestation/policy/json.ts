// Lossless JSON: numbers keep their source text, so uint64 values above 2^53 survive (JSON.parse rounds them).

export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | JsonObject;
/** A Map, so keys like "__proto__" in untrusted input stay plain data. */
export type JsonObject = Map<string, JsonValue>;

interface Span {
  start: number;
  end: number;
}

class Parser {
  pos = 0;
  /** Source spans of the top-level object's members, for signed sub-documents (Intel's tcbInfo). */
  readonly topLevelSpans = new Map<string, Span>();

  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new Error(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  ws(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
  }

  document(): JsonValue {
    this.ws();
    const value = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail('trailing characters');
    return value;
  }

  value(depth: number): JsonValue {
    if (depth > 64) this.fail('nesting too deep');
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  object(depth: number): JsonObject {
    const out: JsonObject = new Map();
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      const start = this.pos;
      out.set(key, this.value(depth + 1));
      if (depth === 0) this.topLevelSpans.set(key, { start, end: this.pos });
      this.ws();
      const sep = this.text[this.pos++];
      if (sep === '}') return out;
      if (sep !== ',') this.fail('expected "," or "}"');
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const sep = this.text[this.pos++];
      if (sep === ']') return out;
      if (sep !== ',') this.fail('expected "," or "]"');
    }
  }

  string(): string {
    // Find the closing quote, then let JSON.parse handle escapes: strings are not lossy.
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\\') this.pos += 2;
      else if (c === '"') {
        this.pos++;
        try {
          return JSON.parse(this.text.slice(start, this.pos)) as string;
        } catch {
          return this.fail('bad string escape');
        }
      } else if (c < ' ') this.fail('control character in string');
      else this.pos++;
    }
    return this.fail('unterminated string');
  }

  number(): JsonNumber {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found) this.fail('bad number');
    this.pos += found[0].length;
    return new JsonNumber(found[0]);
  }
}

export function parseJsonLossless(text: string): JsonValue {
  return new Parser(text).document();
}

/** Exact source text of a top-level member's value (e.g. the signed "tcbInfo" inside Intel's response). */
export function rawTopLevelMember(text: string, key: string): string | undefined {
  const p = new Parser(text);
  p.document();
  const span = p.topLevelSpans.get(key);
  return span ? text.slice(span.start, span.end) : undefined;
}

/** Plain JS view for diagnostics; big numbers become strings. */
export function toPlain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) {
    const n = Number(value.raw);
    return Number.isSafeInteger(n) || !/^-?\d+$/.test(value.raw) ? n : value.raw;
  }
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toPlain(v)]));
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}
