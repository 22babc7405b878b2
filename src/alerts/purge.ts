import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client";

/**
 * Clears the personal data of up to `limit` alerts closed (a final outcome recorded) before `closedBefore`:
 * the subject's number, its keyed hash, name and address, on the alert and on every warning that fed it,
 * and the officers' free-text notes; `at` is stamped on the alert. What the reports count stays. Open
 * alerts are never purged, however old: someone is still working on them. When a closed alert's data is due
 * is the retention policy's call (src/privacy/retention.ts). Rows are taken with FOR UPDATE SKIP LOCKED, so
 * concurrent sweeps split the work. Returns how many alerts were purged.
 */
export async function purgeClosedAlertData(
  db: Db,
  input: { closedBefore: string; at: Date; limit: number },
): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`with due as (
          select id from alerts
          where personal_data_purged_at is null and verified_at < ${input.closedBefore}::timestamptz
            and stage in ('verified', 'fed_back')
          order by verified_at
          limit ${input.limit}
          for update skip locked
        ),
        purged as (
          update alerts a
          set subject_phone_enc = null, subject_phone_hash = null, subject_name_enc = null, area_address = null,
              outcome_note = null, personal_data_purged_at = ${input.at.toISOString()}::timestamptz
          from due where a.id = due.id
          returning a.id
        ),
        w as (
          update warnings
          set subject_phone_enc = null, subject_phone_hash = null, subject_name_enc = null, area_address = null
          where alert_id in (select id from purged)
        ),
        c as (update contact_attempts set note = null where alert_id in (select id from purged))
        select id from purged`,
  );
  return rows.length;
}
