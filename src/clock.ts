/** Time is a dependency so deadlines, signatures and caps can be tested at their boundaries. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
