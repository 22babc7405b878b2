import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../db/client";
import { type DayRange, daysOf } from "./day-range";

/**
 * The push target the daily figures count against: the brief's "warnings forwarded within a minute" (§3).
 * The deadline policy has no push step (pushing is the system's job, not an officer's), so it lives here.
 */
export const PUSH_TARGET_SECONDS = 60;

/** One Asia/Shanghai day of a station's alerts, by the day they were received. Amounts in fen. */
export interface DayFigures {
  day: string;
  received: number;
  pushedInTarget: number;
  dissuaded: number;
  protectedFen: number;
  lostFen: number;
}

/** The day an instant falls on in Asia/Shanghai, in SQL: UTC plus eight hours (no tz database needed). */
export const SHANGHAI_DAY = (column: string) =>
  sql.raw(`to_char((${column} at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD')`);

/**
 * The figures a station reports, per day: warnings received, pushed within the target, dissuaded, and the
 * money protected and lost. Alerts count on the day they were received and show their outcome as it is now,
 * as the JSON report does, so the days add up to that report's totals. Every day of the range has a row.
 */
export async function dailyFigures(
  deps: { db: Executor },
  query: { stationId: string; range: DayRange },
): Promise<DayFigures[]> {
  const rows = await queryRows<Record<string, string | number>>(
    deps.db,
    sql`select ${SHANGHAI_DAY("a.received_at")} as day,
               count(*)::int as received,
               count(*) filter (where a.pushed_at - a.received_at <= ${PUSH_TARGET_SECONDS} * interval '1 second')::int
                 as pushed_in_target,
               count(*) filter (where a.outcome = 'dissuaded')::int as dissuaded,
               coalesce(sum(a.amount_protected), 0)::float8 as protected_fen,
               coalesce(sum(a.amount_lost), 0)::float8 as lost_fen
        from alerts a
        where a.station_id = ${query.stationId}
          and a.received_at >= ${query.range.from.toISOString()}::timestamptz
          and a.received_at < ${query.range.to.toISOString()}::timestamptz
        group by 1`,
  );
  const byDay = new Map(rows.map((r) => [String(r.day), r]));
  return daysOf(query.range).map((day) => {
    const r = byDay.get(day);
    return {
      day,
      received: Number(r?.received ?? 0),
      pushedInTarget: Number(r?.pushed_in_target ?? 0),
      dissuaded: Number(r?.dissuaded ?? 0),
      protectedFen: Number(r?.protected_fen ?? 0),
      lostFen: Number(r?.lost_fen ?? 0),
    };
  });
}

/** The range's totals, the row a station quotes ("250,000 yuan of losses prevented this year"). */
export function totalOf(days: DayFigures[]): Omit<DayFigures, "day"> {
  const sum = (pick: (d: DayFigures) => number) => days.reduce((n, d) => n + pick(d), 0);
  return {
    received: sum((d) => d.received),
    pushedInTarget: sum((d) => d.pushedInTarget),
    dissuaded: sum((d) => d.dissuaded),
    protectedFen: sum((d) => d.protectedFen),
    lostFen: sum((d) => d.lostFen),
  };
}
