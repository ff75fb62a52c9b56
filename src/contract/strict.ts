// Strict objects for everything a caller sends (workflow inputs, update and signal arguments): a field the
// schema does not know is an error that names it and the closest known field, instead of being dropped while the
// rest goes ahead ("vcpu": 4 silently creating a VM with the default vCPUs). Pure (zod only).
import { z } from 'zod';

/** Keys longer than this are shown cut, so a 10 KB key cannot flood an error message. */
const MAX_SHOWN_KEY = 64;

/** Levenshtein distance, small strings only (field names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known field a mistyped one most likely meant: same letters ignoring case, `-` and `_`, or a few edits away. */
export function closestField(key: string, known: readonly string[]): string | undefined {
  if (key.length > MAX_SHOWN_KEY) return undefined;
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const same = known.find((k) => norm(k) === norm(key));
  if (same) return same;
  let best: { field: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (!best || d < best.d) best = { field: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.field : undefined;
}

const shown = (key: string) => (key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}… (${key.length} characters)` : key);

/** "unknown field vcpu: did you mean vcpus?", one clause per unknown key. */
export function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((key) => {
      const near = closestField(key, known);
      return near ? `unknown field ${shown(key)}: did you mean ${near}?` : `unknown field ${shown(key)} (known fields: ${known.join(', ')})`;
    })
    .join('; ');
}

/** `z.strictObject` whose unknown-key error names each unknown field and the closest known one. */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? unknownFieldsMessage(iss.keys, known) : undefined) });
}
