import type { SendingHours } from "./policy";

/**
 * Reminder times are Asia/Shanghai, the official clock everywhere in China (Xinjiang's informal UTC+6 is not
 * what recipients' phones show by default). China has kept a fixed UTC+8 without daylight saving since 1991,
 * so the arithmetic is a constant offset, which is exact and cheap enough to run for every event.
 */
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The Asia/Shanghai calendar date of an instant, `YYYY-MM-DD`. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant of Asia/Shanghai midnight at the start of `date` (`YYYY-MM-DD`). */
export function shanghaiMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - OFFSET_MS);
}

function minuteOfDay(at: Date): number {
  const local = at.getTime() + OFFSET_MS;
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
}

export function withinSendingHours(at: Date, hours: SendingHours): boolean {
  const m = minuteOfDay(at);
  const { startMinute: start, endMinute: end } = hours;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * `at` itself when bulk reminders may go out then; otherwise the next start of the sending window (to the
 * minute, seconds zero). Outside the window the next start is always later the same local day or the next one.
 */
export function nextSendingTime(at: Date, hours: SendingHours): Date {
  if (withinSendingHours(at, hours)) return at;
  const localMidnight = Math.floor((at.getTime() + OFFSET_MS) / DAY_MS) * DAY_MS - OFFSET_MS;
  const todayStart = localMidnight + hours.startMinute * 60_000;
  return new Date(todayStart > at.getTime() ? todayStart : todayStart + DAY_MS);
}
