import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client";

/**
 * counters/: what a day allows. Daily counters in `daily_usage`: a partner's quota (parts) and each number's
 * provider cap (messages). The day is the Asia/Shanghai calendar day (`src/calendar.ts`), which is when
 * Chinese providers and partners' contracts reset. A reminder is admitted against them (and the opt-out
 * list) in bulk-admission.ts; a partner's quota is taken in chunks per process (quota-leases.ts).
 */

export const quotaKey = (partnerId: string) => `quota:${partnerId}`;
export const perNumberKey = (channel: string, recipientHash: string) => `num:${channel}:${recipientHash}`;

/**
 * Adds `amount` to a counter only if the total stays within `limit`, in one statement: concurrent senders
 * in any number of processes cannot together overshoot. Returns the new count, or undefined if refused.
 * `limit` undefined: always adds (urgent SMS count toward a number's cap but are never refused by it).
 */
export async function addWithin(
  db: Executor,
  key: string,
  day: string,
  amount: number,
  limit?: number,
): Promise<number | undefined> {
  const bound = limit ?? 2_147_483_647;
  const rows = await queryRows<{ count: number }>(
    db,
    sql`insert into daily_usage (key, day, count)
        select ${key}, ${day}::date, ${amount} where ${amount}::int <= ${bound}::int
        on conflict (key, day) do update set count = daily_usage.count + excluded.count
          where daily_usage.count + excluded.count <= ${bound}::int
        returning count`,
  );
  return rows[0]?.count;
}

/** Gives back what `addWithin` took for an SMS that was not sent after all. */
export async function giveBack(db: Executor, key: string, day: string, amount: number): Promise<void> {
  await db.execute(
    sql`update daily_usage set count = greatest(0, count - ${amount}::int) where key = ${key} and day = ${day}::date`,
  );
}

export async function usageOn(db: Executor, keys: string[], day: string): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows = await queryRows<{ key: string; count: number }>(
    db,
    sql`select key, count from daily_usage where day = ${day}::date and key in ${sql`(${sql.join(
      keys.map((k) => sql`${k}`),
      sql`, `,
    )})`}`,
  );
  return new Map(rows.map((r) => [r.key, Number(r.count)]));
}
