/**
 * Dates sent to us (a warning's detectedAt, a parcel event's occurredAt) must lie in a plausible window
 * around our clock. Year 0001 or 9999 is well-formed ISO 8601 and would be stored as given, then sort
 * a queue, skew a report or start a deadline in the wrong century; such an item is rejected naming its field.
 */
export interface TimeWindow {
  /** How far in the past a date may be: backfills after an outage are fine, last year's events are not. */
  maxAgeDays: number;
  /** How far ahead of our clock: the sender's clock may run a little fast, never days. */
  maxFutureSeconds: number;
}

/** Why `at` is outside the window around `now`, or undefined when it is inside. */
export function outsideWindow(at: Date, now: Date, window: TimeWindow): string | undefined {
  const ahead = at.getTime() - now.getTime();
  if (ahead > window.maxFutureSeconds * 1000) {
    return `is ${describe(ahead)} ahead of the server clock; at most ${describe(window.maxFutureSeconds * 1000)} is allowed`;
  }
  if (-ahead > window.maxAgeDays * 86_400_000) {
    return `is more than ${window.maxAgeDays} days in the past`;
  }
  return undefined;
}

function describe(ms: number): string {
  if (ms >= 86_400_000) return `${Math.floor(ms / 86_400_000)} days`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.ceil(ms / 1000)} s`;
}
