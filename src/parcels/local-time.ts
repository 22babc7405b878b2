import { shanghaiMinuteOfDay, shanghaiTimeOfDay } from "../calendar";
import type { SendingHours } from "./policy";

const DAY_MS = 86_400_000;

/** Whether bulk reminders may go out at `at` (Asia/Shanghai hours, [start, end), possibly across midnight). */
export function withinSendingHours(at: Date, hours: SendingHours): boolean {
  const m = shanghaiMinuteOfDay(at);
  const { startMinute: start, endMinute: end } = hours;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * `at` itself when bulk reminders may go out then; otherwise the next start of the sending window (to the
 * minute, seconds zero). Outside the window the next start is always later the same local day or the next one.
 */
export function nextSendingTime(at: Date, hours: SendingHours): Date {
  if (withinSendingHours(at, hours)) return at;
  const todayStart = shanghaiTimeOfDay(at, hours.startMinute).getTime();
  return new Date(todayStart > at.getTime() ? todayStart : todayStart + DAY_MS);
}
