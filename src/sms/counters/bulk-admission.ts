import { eq, sql } from "drizzle-orm";
import { optOuts } from "../../../schema";
import { type Executor, queryRows } from "../../db/client";

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
 *
 * The counters are taken in key order: two batches that share numbers (a number sent several reminders,
 * batches in several workers) otherwise locked them in opposite orders and deadlocked (bench:sms), and
 * PostgreSQL aborted one of them.
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
          order by "numberKey"
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

/** Whether a number opted out of reminders: the check admitBulk makes, for one number on its own. */
export async function isOptedOut(db: Executor, recipientHash: string): Promise<boolean> {
  const [row] = await db
    .select({ hash: optOuts.recipientHash })
    .from(optOuts)
    .where(eq(optOuts.recipientHash, recipientHash));
  return Boolean(row);
}
