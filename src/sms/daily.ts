import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../db/client";

/**
 * Daily counters in `daily_usage`: a partner's quota (parts) and each number's provider cap (messages).
 * The day is the Asia/Shanghai calendar day (`src/calendar.ts`), which is when Chinese providers and
 * partners' contracts reset.
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

export interface BulkAdmission {
  optedOut: boolean;
  /** The number's count today including this SMS; undefined: at its cap (nothing counted). */
  numberCount: number | undefined;
}

/**
 * What a reminder must pass before quota and rate tokens, in one statement: the number has not opted out,
 * and it is under its cap (then counted).
 */
export async function admitBulk(
  db: Executor,
  input: { recipientHash: string; day: string; numberKey: string; numberCap: number },
): Promise<BulkAdmission> {
  const { recipientHash, day, numberKey, numberCap } = input;
  const [row] = await queryRows<{ opted: boolean; number_count: number | null }>(
    db,
    sql`with o as (select exists (select 1 from opt_outs where recipient_hash = ${recipientHash}) as opted),
        n as (
          insert into daily_usage (key, day, count)
          select ${numberKey}, ${day}::date, 1 from o where not o.opted and 1 <= ${numberCap}::int
          on conflict (key, day) do update set count = daily_usage.count + 1
            where daily_usage.count + 1 <= ${numberCap}::int
          returning count
        )
        select (select opted from o) as opted, (select count from n) as number_count`,
  );
  return { optedOut: Boolean(row?.opted), numberCount: row?.number_count ?? undefined };
}

/**
 * admitBulk for many reminders in one statement. Each request must name a different number (`numberKey`):
 * one statement cannot raise a counter twice. Returns each request's admission by its id.
 */
export async function admitBulkMany(
  db: Executor,
  day: string,
  requests: { id: string; recipientHash: string; numberKey: string; numberCap: number }[],
): Promise<Map<string, BulkAdmission>> {
  if (requests.length === 0) return new Map();
  const rows = await queryRows<{ id: string; opted: boolean; number_count: number | null }>(
    db,
    sql`with r as (
          select r.*, exists (select 1 from opt_outs o where o.recipient_hash = r."recipientHash") as opted
          from jsonb_to_recordset(${JSON.stringify(requests)}::jsonb)
            as r(id text, "recipientHash" text, "numberKey" text, "numberCap" int)
        ),
        n as (
          insert into daily_usage (key, day, count)
          select "numberKey", ${day}::date, 1 from r where not opted and 1 <= "numberCap"
          on conflict (key, day) do update set count = daily_usage.count + 1
            where daily_usage.count + 1 <= (select r."numberCap" from r where r."numberKey" = excluded.key)
          returning key, count
        )
        select r.id, r.opted, n.count as number_count from r left join n on n.key = r."numberKey"`,
  );
  return new Map(
    rows.map((row) => [row.id, { optedOut: Boolean(row.opted), numberCount: row.number_count ?? undefined }]),
  );
}
