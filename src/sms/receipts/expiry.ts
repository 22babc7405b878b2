import { sql } from "drizzle-orm";
import { queryRows } from "../../db/client";
import type { Deps } from "../../deps";
import { reconcilePendingReceipts } from "./receipts";

/**
 * A submitted SMS whose receipt never came is `expired` once SMS_RECEIPT_TIMEOUT_HOURS (72) have passed
 * since submit: providers stop reporting long before that, so waiting longer tells nobody anything. A late
 * receipt still corrects it (receipts.ts). Receipts still pending after the same time name nothing we sent
 * and are dropped; pending ones whose message has since been submitted are applied (a process stopped between
 * recording the submit and applying them). Called by the sweeper; bounded per call, rows taken with SKIP LOCKED so concurrent
 * sweeps split the work. Returns how many messages expired.
 */
export async function expireStaleSms(
  deps: Pick<Deps, "db" | "clock" | "config">,
  limit = 1000,
): Promise<number> {
  const now = deps.clock.now();
  const hours = deps.config.SMS_RECEIPT_TIMEOUT_HOURS;
  const cutoff = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const rows = await queryRows<{ message_id: string }>(
    deps.db,
    sql`with due as (
          select id from sms_messages
          where status = 'submitted' and submitted_at < ${cutoff}::timestamptz
          order by submitted_at
          limit ${limit}
          for update skip locked
        ),
        e as (
          update sms_messages m set status = 'expired', finished_at = ${now.toISOString()}::timestamptz
          from due where m.id = due.id and m.status = 'submitted'
          returning m.id
        )
        insert into sms_events (message_id, status, detail)
        select id, 'expired', ${`no delivery receipt within ${hours} h of submit`} from e
        returning message_id`,
  );
  await reconcilePendingReceipts(deps.db, limit);
  await deps.db.execute(sql`delete from pending_receipts where received_at < ${cutoff}::timestamptz`);
  return rows.length;
}
