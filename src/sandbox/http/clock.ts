// Sandbox time: state machines move with real time multiplied by a speed factor, so tests run in seconds
// and a person watching `npm start` sees realistic pacing.
export class SandboxClock {
  constructor(
    public speed = 1,
    private readonly realNow: () => number = Date.now,
  ) {}

  now(): number {
    return this.realNow();
  }

  /** Simulated milliseconds elapsed since a real timestamp. */
  elapsedSince(realStart: number): number {
    return (this.realNow() - realStart) * this.speed;
  }

  /** Real milliseconds that a simulated duration takes. */
  real(simulatedMs: number): number {
    return simulatedMs / this.speed;
  }
}

/** A fixed sequence of phases with simulated durations; the current phase is derived from elapsed time. */
export interface Phase<S extends string> {
  state: S;
  /** Simulated milliseconds spent in this phase; omit for the final phase. */
  ms?: number;
}

export function phaseAt<S extends string>(phases: ReadonlyArray<Phase<S>>, elapsedMs: number): S {
  let t = 0;
  for (const p of phases) {
    if (p.ms === undefined) return p.state;
    t += p.ms;
    if (elapsedMs < t) return p.state;
  }
  return phases[phases.length - 1]!.state;
}
