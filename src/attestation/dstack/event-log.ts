// The dstack event log: parse it leniently, recompute every runtime event's digest from its name and payload
// (never trusting the supplied digest), and replay each IMR from 48 zero bytes to the value its RTMR must hold.
import { createHash } from 'node:crypto';
import { toHex } from '../bytes';

/** dstack's runtime events (RTMR3): TCG reserves no meaning for this type. */
export const DSTACK_RUNTIME_EVENT_TYPE = 0x08000001;
export const IMR_COUNT = 4;
const DIGEST_BYTES = 48;

export interface DstackEvent {
  /** Position in the log as received. */
  index: number;
  imr: number;
  eventType: number;
  /** The digest as supplied, lowercase hex without 0x ('' when stripped). Never used for runtime events. */
  suppliedDigest: string;
  /** Event name (runtime events), '' for boot events. */
  name: string;
  payload: Buffer;
  /** 2 for dstack's JSON-preimage events; 1 otherwise. */
  version: 1 | 2;
  preimage?: string;
}

export class EventLogError extends Error {
  override name = 'EventLogError';
}

function bytesField(v: unknown, what: string): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (Array.isArray(v)) {
    if (!v.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) throw new EventLogError(`${what}: an array that is not bytes`);
    return Buffer.from(v as number[]);
  }
  if (typeof v !== 'string') throw new EventLogError(`${what}: expected hex text or a byte array, got ${typeof v}`);
  const t = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(t)) throw new EventLogError(`${what}: not hex (${v.slice(0, 24)}…)`);
  return Buffer.from(t, 'hex');
}

function intField(v: unknown, what: string, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new EventLogError(`${what}: expected an integer 0-${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** An event log as an array of events or as JSON text of one (both occur: GetQuote sends text, Phala an array). */
export function parseEventLog(raw: unknown): DstackEvent[] {
  let list = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw) as unknown;
    } catch {
      throw new EventLogError('event log: text that is not JSON');
    }
  }
  if (!Array.isArray(list)) throw new EventLogError(`event log: expected an array of events, got ${list === null ? 'null' : typeof list}`);
  return list.map((item, index) => {
    if (!item || typeof item !== 'object') throw new EventLogError(`event #${index}: not an object`);
    const e = item as Record<string, unknown>;
    const where = `event #${index}${typeof e.event === 'string' && e.event ? ` (${e.event})` : ''}`;
    const version = e.version === 2 || e.version === '2' ? 2 : 1;
    if (e.event !== undefined && e.event !== null && typeof e.event !== 'string') throw new EventLogError(`${where}.event: expected a string`);
    return {
      index,
      imr: intField(e.imr, `${where}.imr`, IMR_COUNT - 1),
      eventType: intField(e.event_type, `${where}.event_type`, 0xffffffff),
      suppliedDigest: toHex(bytesField(e.digest, `${where}.digest`)),
      name: typeof e.event === 'string' ? e.event : '',
      payload: bytesField(e.event_payload, `${where}.event_payload`),
      version,
      ...(typeof e.preimage === 'string' ? { preimage: e.preimage } : {}),
    };
  });
}

export function isRuntimeEvent(e: DstackEvent): boolean {
  return e.eventType === DSTACK_RUNTIME_EVENT_TYPE;
}

/** V2 preimage: RFC 8785 JSON of {name, payload, type}; keys already in code-point order, strings as JSON.stringify. */
export function runtimeEventPreimage(e: Pick<DstackEvent, 'name' | 'payload' | 'eventType'>): string {
  return `{"name":${JSON.stringify(e.name)},"payload":${JSON.stringify(toHex(e.payload))},"type":${e.eventType}}`;
}

/** The digest dstack extends for a runtime event, computed from what the event says, not from its digest field. */
export function runtimeEventDigest(e: Pick<DstackEvent, 'name' | 'payload' | 'eventType' | 'version'>): Buffer {
  if (e.version === 2) return createHash('sha384').update(runtimeEventPreimage(e), 'utf8').digest();
  const type = Buffer.alloc(4);
  type.writeUInt32LE(e.eventType >>> 0);
  return createHash('sha384').update(Buffer.concat([type, Buffer.from(':'), Buffer.from(e.name, 'utf8'), Buffer.from(':'), e.payload])).digest();
}

export interface ReplayResult {
  /** Replayed RTMR0-3; undefined for an IMR whose log could not be replayed (a boot event without a 48-byte digest). */
  rtmrs: Array<Buffer | undefined>;
  /** Why an IMR could not be replayed. */
  problems: Array<string | undefined>;
  eventsPerImr: number[];
  /** Runtime events whose supplied digest is present and differs from the recomputed one. */
  digestMismatches: DstackEvent[];
  /** Runtime events whose supplied digest is empty (a stripped log). */
  strippedDigests: number;
  /** V2 events whose preimage is not the canonical form of their name and payload. */
  preimageMismatches: DstackEvent[];
  v2Events: number;
}

export function extend(mr: Buffer, digest: Buffer): Buffer {
  return createHash('sha384').update(Buffer.concat([mr, digest])).digest();
}

/** mr = SHA-384(mr ‖ digest) per event of each IMR, in log order, from 48 zero bytes. */
export function replayEventLog(events: readonly DstackEvent[]): ReplayResult {
  const out: ReplayResult = { rtmrs: [], problems: [], eventsPerImr: [], digestMismatches: [], strippedDigests: 0, preimageMismatches: [], v2Events: 0 };
  for (let imr = 0; imr < IMR_COUNT; imr++) {
    let mr: Buffer | undefined = Buffer.alloc(DIGEST_BYTES);
    let problem: string | undefined;
    let count = 0;
    for (const e of events) {
      if (e.imr !== imr) continue;
      count++;
      let digest: Buffer;
      if (isRuntimeEvent(e)) {
        digest = runtimeEventDigest(e);
        if (e.suppliedDigest === '') out.strippedDigests++;
        else if (e.suppliedDigest !== toHex(digest)) out.digestMismatches.push(e);
        if (e.version === 2) {
          out.v2Events++;
          if (e.preimage !== undefined && e.preimage !== runtimeEventPreimage(e)) out.preimageMismatches.push(e);
        }
      } else {
        digest = Buffer.from(e.suppliedDigest, 'hex');
        if (digest.length !== DIGEST_BYTES) {
          problem ??= `event #${e.index} (type 0x${e.eventType.toString(16)}) has a ${digest.length}-byte digest, not ${DIGEST_BYTES}`;
          mr = undefined;
        }
      }
      if (mr) mr = extend(mr, digest);
    }
    out.rtmrs.push(mr);
    out.problems.push(problem);
    out.eventsPerImr.push(count);
  }
  return out;
}

/** dstack's identity events: the first runtime event of that name in IMR 3 before `system-ready` (later ones are the app's). */
export function systemEvents(events: readonly DstackEvent[]): { before: DstackEvent[]; ready: boolean; appEvents: DstackEvent[] } {
  const runtime = events.filter((e) => e.imr === 3 && isRuntimeEvent(e));
  const readyAt = runtime.findIndex((e) => e.name === 'system-ready');
  return readyAt < 0 ? { before: runtime, ready: false, appEvents: [] } : { before: runtime.slice(0, readyAt), ready: true, appEvents: runtime.slice(readyAt + 1) };
}

export function findSystemEvent(before: readonly DstackEvent[], name: string): DstackEvent | undefined {
  return before.find((e) => e.name === name);
}
