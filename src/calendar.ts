/**
 * Asia/Shanghai calendar arithmetic, the one place it is done. Stations, partners' contracts, providers' daily
 * caps and reminder hours all run on Beijing time, the official clock everywhere in China (Xinjiang's informal
 * UTC+6 is not what phones show by default). China has kept a fixed UTC+8 without daylight saving since 1991,
 * so a constant offset is exact and cheap enough to run for every event.
 */
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The Asia/Shanghai calendar date of an instant, `YYYY-MM-DD`. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant of Asia/Shanghai midnight at the start of `date` (`YYYY-MM-DD`). */
export function shanghaiMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - OFFSET_MS);
}

/** The instant the Asia/Shanghai day after the one holding `at` begins. */
export function nextShanghaiMidnight(at: Date): Date {
  return new Date(shanghaiMidnight(shanghaiDate(at)).getTime() + DAY_MS);
}

/** Minutes since Asia/Shanghai midnight, 0 to 1439. */
export function shanghaiMinuteOfDay(at: Date): number {
  const local = at.getTime() + OFFSET_MS;
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}

/** The instant `minute` minutes after Asia/Shanghai midnight on the day holding `at`. */
export function shanghaiTimeOfDay(at: Date, minute: number): Date {
  return new Date(shanghaiMidnight(shanghaiDate(at)).getTime() + minute * MINUTE_MS);
}

/** `date` (`YYYY-MM-DD`) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whether `YYYY-MM-DD` names a day that exists (2026-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(y, m - 1, d));
  return utc.getUTCFullYear() === y && utc.getUTCMonth() === m - 1 && utc.getUTCDate() === d;
}
