/** Virtual time of a simulated production; it only moves when a test (or `bake`) moves it. */
export class VirtualClock {
  private current: number;

  /** Starts at `start`, by default 2026-11-24T10:00:00Z (a whole minute, like the ALB metric periods). */
  constructor(start: Date = new Date('2026-11-24T10:00:00.000Z')) {
    const ms = start.getTime();
    if (Number.isNaN(ms)) throw new Error('VirtualClock: invalid start date');
    this.current = ms;
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves time forward; never backward. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new Error(`VirtualClock: cannot advance by ${seconds} s (time only moves forward)`);
    }
    this.current += Math.round(seconds * 1000);
  }

  /** `now` as a bound function, for the tools' `clock` option. */
  readonly nowFn = (): Date => this.now();

  /** Milliseconds since the epoch. */
  nowMs(): number {
    return this.current;
  }
}
