import { addDays, isCalendarDate, shanghaiDate, shanghaiMidnight } from "../calendar";

/** The report a supervisor reads covers whole Asia/Shanghai days; a week unless they choose otherwise. */
export const DEFAULT_RANGE_DAYS = 7;
/** Bounds the query, as the JSON report does: a year of a station's alerts at most. */
export const MAX_RANGE_DAYS = 366;

export type DayRangeProblem = "invalid" | "order" | "future" | "too_long";

export interface DayRange {
  /** First day, `YYYY-MM-DD` (Asia/Shanghai), inclusive. */
  firstDay: string;
  /** Last day, inclusive. */
  lastDay: string;
  /** Midnight starting firstDay. */
  from: Date;
  /** Midnight ending lastDay (exclusive). */
  to: Date;
  days: number;
}

export type DayRangeResult =
  | { ok: true; range: DayRange }
  | { ok: false; problems: { field: "from" | "to"; problem: DayRangeProblem }[] };

/**
 * A range of whole days as a person types it (two dates, both included). Empty means the default: the last
 * seven days up to today. The errors say which field is wrong so the form can show them beside it.
 */
export function parseDayRange(
  now: Date,
  fromText: string | undefined,
  toText: string | undefined,
): DayRangeResult {
  const today = shanghaiDate(now);
  const from = (fromText ?? "").trim();
  const to = (toText ?? "").trim();
  const lastDay = to === "" ? today : to;
  const problems: { field: "from" | "to"; problem: DayRangeProblem }[] = [];
  if (from !== "" && !isCalendarDate(from)) problems.push({ field: "from", problem: "invalid" });
  if (!isCalendarDate(lastDay)) problems.push({ field: "to", problem: "invalid" });
  if (problems.length > 0) return { ok: false, problems };
  const firstDay = from === "" ? addDays(lastDay, 1 - DEFAULT_RANGE_DAYS) : from;
  // A day that has not begun has no figures; saying so beats an empty chart that looks like a quiet week.
  if (lastDay > today) problems.push({ field: "to", problem: "future" });
  else if (firstDay > lastDay) problems.push({ field: "to", problem: "order" });
  const days = Math.round((Date.parse(lastDay) - Date.parse(firstDay)) / 86_400_000) + 1;
  if (problems.length === 0 && days > MAX_RANGE_DAYS) problems.push({ field: "from", problem: "too_long" });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    range: {
      firstDay,
      lastDay,
      from: shanghaiMidnight(firstDay),
      to: shanghaiMidnight(addDays(lastDay, 1)),
      days,
    },
  };
}

/** Every day of the range in order, so days without alerts still get a row and a bar. */
export function daysOf(range: Pick<DayRange, "firstDay" | "days">): string[] {
  return Array.from({ length: range.days }, (_, i) => addDays(range.firstDay, i));
}
