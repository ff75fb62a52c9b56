// Where to look next while waiting for a CVM: pure arithmetic, no I/O. With recent boot durations of the same
// provider and machine type, the looks are placed where readiness is likely (a smoothed empirical distribution,
// looks chosen to minimise the expected detection delay for an expected number of requests, the budget); with
// no history, the caller's interval schedule (a fixed interval, or one growing by half up to a cap).

/** Today's schedule: the gaps between looks, `intervalMs` each, or growing ×1.5 up to `maxIntervalMs`. */
export function intervalGaps(intervalMs: number, maxIntervalMs: number | undefined, count: number): number[] {
  const out: number[] = [];
  let gap = intervalMs;
  for (let i = 0; i < count; i++) {
    out.push(gap);
    if (maxIntervalMs) gap = Math.min(maxIntervalMs, Math.round(gap * 1.5));
  }
  return out;
}

/** Fewer samples than this and the plan is today's interval schedule. */
export const MIN_SAMPLES = 3;
/** Looks closer together than this are not worth a request (and a busy worker cannot keep them). */
export const MIN_GAP_MS = 50;
/** The narrowest smoothing: a boot measured between two looks is known to about this much. */
const MIN_BANDWIDTH_MS = 80;
const MAX_GRID = 240;

/**
 * One past wait: it ended `ms` after it began, known to within `resolutionMs` (the gap between the last look
 * that saw it pending and the one that saw it ready). A bare number is an exact duration.
 */
export type WaitSample = number | { ms: number; resolutionMs: number };

const msOf = (s: WaitSample) => (typeof s === 'number' ? s : s.ms);
const resolutionOf = (s: WaitSample) => (typeof s === 'number' ? 0 : s.resolutionMs);

export interface LearnedPlanInput {
  /** Recent waits for this provider, target and machine key. */
  samples: readonly WaitSample[];
  /** ms since the anchor now; the CVM was seen not ready at this time. */
  elapsedMs: number;
  /** Expected provider requests the remaining looks may cost (the first look of a wait is already spent). */
  budget: number;
  /** The caller's interval: after the planned looks, the wait continues on the interval schedule. */
  intervalMs: number;
}

export interface LookPlan {
  /** Times of the next looks, in ms from the anchor, increasing. Empty: use the interval schedule. */
  looks: number[];
  /** Expected requests of these looks under the learned distribution (the interval tail included). */
  expectedRequests: number;
  /** Expected delay (ms) from ready to the look that sees it, under the same distribution. */
  expectedDelayMs: number;
}

interface Grid {
  /** Look candidates: points[0] is now, the rest lie after it. */
  points: number[];
  /** Cumulative probability (conditioned on not ready now) up to each point, and of D·1{D ≤ point}. */
  cdf: number[];
  firstMoment: number[];
  /** Probability and first moment of readiness after the last point. */
  tailMass: number;
  tailMoment: number;
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 via erf: plenty for placing looks
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** ∫ Φ: the antiderivative of the standard normal CDF, z·Φ(z) + φ(z). */
function normalCdfIntegral(z: number): number {
  return z * normalCdf(z) + Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
}

interface Kernel {
  /** The wait ended somewhere in [from, to] (from = to for an exact one), smoothed by a Gaussian of sd `width`. */
  from: number;
  to: number;
  width: number;
}

/** The probability that a wait of this kernel ended by `t`: a uniform over [from, to] convolved with the Gaussian. */
function kernelCdf(k: Kernel, t: number): number {
  const span = k.to - k.from;
  if (span < k.width / 100) return normalCdf((t - (k.from + k.to) / 2) / k.width);
  return ((normalCdfIntegral((t - k.from) / k.width) - normalCdfIntegral((t - k.to) / k.width)) * k.width) / span;
}

/**
 * One kernel per past wait, each of the same weight: the wait ended between the last look that saw it pending
 * and the one that saw it ready (a uniform over that gap), smoothed by a Gaussian as wide as the distance to the
 * k-th nearest neighbour (k ≈ √n / 2): tight where boots agree (one machine type), wide where they scatter, never
 * narrower than a look can resolve. Every wait counts once however coarsely it was seen: weighting precise waits
 * more favoured the times where the plan already looked often (the waits it saw precisely are those that ended
 * there), and the plan then locked itself in (CUDO, boots 2-8 s: every look after the first at 6.5 s or later).
 */
function kernels(samples: readonly WaitSample[]): Kernel[] {
  const at = samples.map(msOf);
  const k = Math.max(1, Math.round(Math.sqrt(at.length) / 2));
  return at.map((s, i) => {
    const d = at.map((o) => Math.abs(o - s)).sort((a, b) => a - b);
    const half = resolutionOf(samples[i]!) / 2;
    return { from: s - half, to: s + half, width: Math.max(MIN_BANDWIDTH_MS, d[Math.min(k, d.length - 1)]!) };
  });
}

function buildGrid(samples: readonly WaitSample[], elapsedMs: number): Grid | undefined {
  const ks = kernels(samples);
  const cdfAt = (t: number) => ks.reduce((a, k) => a + kernelCdf(k, t), 0) / ks.length;
  const end = Math.max(...ks.map((k) => k.to + 3 * k.width));
  if (end <= elapsedMs + MIN_GAP_MS) return undefined; // history says it should be ready already: nothing to learn from
  const step = Math.max(MIN_GAP_MS, (end - elapsedMs) / MAX_GRID);
  const points = [elapsedMs];
  for (let t = elapsedMs + step; t < end + step / 2; t += step) points.push(Math.round(t));
  const base = cdfAt(elapsedMs);
  const alive = 1 - base;
  if (alive < 1e-6) return undefined;
  const cdf = [0];
  const firstMoment = [0];
  for (let i = 1; i < points.length; i++) {
    const mass = (cdfAt(points[i]!) - cdfAt(points[i - 1]!)) / alive;
    cdf.push(cdf[i - 1]! + mass);
    firstMoment.push(firstMoment[i - 1]! + (mass * (points[i]! + points[i - 1]!)) / 2);
  }
  const tailMass = Math.max(0, 1 - cdf[cdf.length - 1]!);
  return { points, cdf, firstMoment, tailMass, tailMoment: tailMass * end };
}

/** Minimum of E[delay] + λ·E[requests] over look sequences on the grid, by dynamic programming. */
function solve(g: Grid, lambda: number, intervalMs: number): { path: number[]; delay: number; requests: number } {
  const n = g.points.length;
  const last = n - 1;
  const survive = (a: number) => Math.max(0, 1 - g.cdf[a]!);
  // after the last planned look at a: the interval schedule (half an interval late on average, one look per interval)
  const tail = (a: number) => {
    const s = survive(a);
    const remaining = g.firstMoment[last]! - g.firstMoment[a]! + g.tailMoment - g.points[a]! * s;
    return { delay: (s * intervalMs) / 2, requests: s + Math.max(0, remaining) / intervalMs };
  };
  const value = new Float64Array(n);
  const next = new Int32Array(n).fill(-1);
  for (let a = last; a >= 0; a--) {
    const t = tail(a);
    let best = t.delay + lambda * t.requests;
    let choice = -1;
    const s = survive(a);
    for (let b = a + 1; b < n; b++) {
      // a look at b happens when not ready at a; readiness in (a, b] is seen at b
      const wait = g.points[b]! * (g.cdf[b]! - g.cdf[a]!) - (g.firstMoment[b]! - g.firstMoment[a]!);
      const v = lambda * s + wait + value[b]!;
      if (v < best) {
        best = v;
        choice = b;
      }
    }
    value[a] = best;
    next[a] = choice;
  }
  const path: number[] = [];
  let delay = 0;
  let requests = 0;
  let a = 0;
  while (next[a]! >= 0) {
    const b = next[a]!;
    requests += survive(a);
    delay += g.points[b]! * (g.cdf[b]! - g.cdf[a]!) - (g.firstMoment[b]! - g.firstMoment[a]!);
    path.push(g.points[b]!);
    a = b;
  }
  const t = tail(a);
  return { path, delay: delay + t.delay, requests: requests + t.requests };
}

/**
 * The next looks for a CVM whose boots of this kind took `samples` ms: the least expected delay whose expected
 * requests stay within `budget` (the price of a request, λ, is found by bisection). Empty when there is too
 * little history or the CVM is already later than any of it; the caller then uses its interval schedule.
 */
export function planLearnedLooks(input: LearnedPlanInput): LookPlan {
  const none: LookPlan = { looks: [], expectedRequests: 0, expectedDelayMs: 0 };
  const samples = input.samples.filter((s) => Number.isFinite(msOf(s)) && msOf(s) >= 0);
  if (samples.length < MIN_SAMPLES) return none;
  const grid = buildGrid(samples, input.elapsedMs);
  if (!grid) return none;
  const budget = Math.max(1, input.budget);
  let lo = 0;
  let hi = 1e7;
  let best = solve(grid, hi, input.intervalMs);
  for (let i = 0; i < 40; i++) {
    const mid = Math.sqrt(Math.max(lo, 1e-3) * hi);
    const s = solve(grid, mid, input.intervalMs);
    if (s.requests <= budget) {
      hi = mid;
      best = s;
    } else lo = mid;
    if (hi / Math.max(lo, 1e-3) < 1.01) break;
  }
  if (best.path.length === 0) return none;
  return { looks: best.path, expectedRequests: best.requests, expectedDelayMs: best.delay };
}

/**
 * Expected requests after a first look at `elapsedMs` of the interval schedule when readiness follows
 * `samples`: the default budget, so a learned plan never costs more than today's. A wait seen coarsely counts as
 * spread evenly over the gap it was seen in (its midpoint alone made the interval schedule look cheaper than it
 * is for the waits the plan looked at late, and the budget shrank with each round).
 */
export function expectedIntervalRequests(samples: readonly WaitSample[], elapsedMs: number, intervalMs: number, maxIntervalMs?: number): number {
  const gaps = intervalGaps(intervalMs, maxIntervalMs, 10_000);
  const cost = (wait: number) => {
    let t = elapsedMs;
    let looks = 0;
    for (const gap of gaps) {
      t += gap;
      looks++;
      if (t >= wait) break;
    }
    return looks;
  };
  let total = 0;
  let weight = 0;
  for (const s of samples) {
    const half = resolutionOf(s) / 2;
    // the wait's possible ends (one point for an exact wait), those after now
    const ends = half > 0 ? Array.from({ length: SPREAD_POINTS }, (_, i) => msOf(s) - half + ((i + 0.5) * 2 * half) / SPREAD_POINTS) : [msOf(s)];
    for (const end of ends.filter((e) => e > elapsedMs)) {
      total += cost(end) / ends.length;
      weight += 1 / ends.length;
    }
  }
  return weight > 0 ? total / weight : 1;
}

/** Points a coarsely seen wait is spread over when the interval schedule's cost is reckoned. */
const SPREAD_POINTS = 8;

/** A bounded record of recent waits per key (oldest dropped first), for one worker process. */
export class DurationHistory {
  private readonly byKey = new Map<string, WaitSample[]>();

  constructor(
    private readonly perKey = 32,
    private readonly maxKeys = 256,
  ) {}

  record(key: string, durationMs: number, resolutionMs = 0): void {
    const list = this.byKey.get(key) ?? [];
    this.byKey.delete(key); // re-inserted last: the map's order is least recently recorded first
    list.push({ ms: Math.round(durationMs), resolutionMs: Math.round(resolutionMs) });
    if (list.length > this.perKey) list.splice(0, list.length - this.perKey);
    this.byKey.set(key, list);
    while (this.byKey.size > this.maxKeys) this.byKey.delete(this.byKey.keys().next().value!);
  }

  samples(key: string): readonly WaitSample[] {
    return this.byKey.get(key) ?? [];
  }

  /** The samples of `key`, or of `fallbackKey` while `key` has too few to plan from (a kind seen rarely yet). */
  samplesOr(key: string, fallbackKey: string): readonly WaitSample[] {
    return this.samples(key).length >= MIN_SAMPLES ? this.samples(key) : this.samples(fallbackKey);
  }

  /** A wait that began at `since`, was last seen pending at `pendingAt` and seen there at `reachedAt` (epoch ms). */
  recordWait(keys: readonly string[], since: number, pendingAt: number, reachedAt: number): void {
    for (const k of keys) this.record(k, (pendingAt + reachedAt) / 2 - since, reachedAt - pendingAt);
  }

  get size(): number {
    return this.byKey.size;
  }
}
