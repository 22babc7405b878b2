import type { Clock } from "../../src/clock";

/** A clock tests move by hand, so deadlines, expiry and throttling can be checked at their boundaries. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = "2026-11-28T02:00:00Z") {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): Date {
    this.current = new Date(at).getTime();
    return this.now();
  }
  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }
  advanceMinutes(minutes: number): Date {
    return this.advance(minutes * 60_000);
  }
}
