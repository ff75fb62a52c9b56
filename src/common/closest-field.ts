// "Did you mean …?": the known name a mistyped one most likely meant. Pure, for input schemas and policy files alike.

/** Names longer than this get no suggestion and are shown cut (a 10 KB key is not a typo, nor a message). */
export const MAX_SHOWN_KEY = 64;

/** Levenshtein distance, small strings only (field names). */
function editDistance(a: string, b: string): number {
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
