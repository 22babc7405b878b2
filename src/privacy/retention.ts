import { type SQL, sql } from "drizzle-orm";
import { purgeClosedAlertData } from "../alerts/purge";
import { shanghaiDate } from "../calendar";
import { queryRows } from "../db/client";
import type { Deps } from "../deps";

type RetentionDeps = Pick<Deps, "db" | "clock" | "config">;

const DAY_MS = 86_400_000;

/**
 * Personal data is kept only as long as it serves the case (PIPL art. 19; brief §5a). PII_RETENTION_DAYS
 * after a record is finished, its personal fields are set to null and the time is stamped on the row; what
 * the reports count (stages, times, outcomes, amounts, statuses, parts) stays. Each step takes a bounded
 * batch of rows with FOR UPDATE SKIP LOCKED, so concurrent sweeps split the work and a batch never holds
 * locks for long; the caller repeats a step while it returns a full batch. Each returns how many rows it
 * changed.
 */
function retentionCutoff(deps: RetentionDeps): string {
  return new Date(deps.clock.now().getTime() - deps.config.PII_RETENTION_DAYS * DAY_MS).toISOString();
}

/**
 * Alerts closed (a final outcome recorded) before the cutoff: the subject's number, its keyed hash, name
 * and address, on the alert and on every warning that fed it, and the officers' free-text notes. Open alerts
 * are never purged, however old: someone is still working on them. The alerts room writes its own rows
 * (src/alerts/purge.ts); the policy here says when.
 */
export function purgeClosedAlerts(deps: RetentionDeps, limit: number): Promise<number> {
  return purgeClosedAlertData(deps.db, { closedBefore: retentionCutoff(deps), at: deps.clock.now(), limit });
}

/**
 * SMS with a final status, created before the cutoff: the recipient's number and hash, the text (a warning
 * names the subject's area) and the provider's last error (some echo the number). The masked number stays
 * for the message's history. The idempotency key embeds the recipient hash; a message this old is never
 * retried, so the key becomes the message's own id.
 */
export function purgeFinishedSms(deps: RetentionDeps, limit: number): Promise<number> {
  return purgeRows(deps, limit, {
    table: "sms_messages",
    since: "created_at",
    finished: sql`status in ('delivered', 'failed', 'expired', 'suppressed')`,
    clear: sql`recipient_enc = null, recipient_hash = null, body = null, last_error = null,
               idempotency_key = 'purged:' || t.id`,
  });
}

/** Parcel events received before the cutoff, unless still waiting to send (deferred): the recipient. */
export function purgeParcelEvents(deps: RetentionDeps, limit: number): Promise<number> {
  return purgeRows(deps, limit, {
    table: "parcel_events",
    since: "received_at",
    finished: sql`decision <> 'deferred'`,
    clear: sql`recipient_enc = null, recipient_hash = null`,
  });
}

/** Clears `clear` on up to `limit` rows not purged yet, finished, and older than the cutoff by `since`. */
async function purgeRows(
  deps: RetentionDeps,
  limit: number,
  target: { table: "sms_messages" | "parcel_events"; since: string; finished: SQL; clear: SQL },
): Promise<number> {
  const table = sql.raw(target.table);
  const since = sql.raw(target.since);
  const rows = await queryRows<{ id: string }>(
    deps.db,
    sql`with due as (
          select id from ${table}
          where personal_data_purged_at is null and ${since} < ${retentionCutoff(deps)}::timestamptz
            and ${target.finished}
          order by ${since}
          limit ${limit}
          for update skip locked
        )
        update ${table} t
        set ${target.clear}, personal_data_purged_at = ${deps.clock.now().toISOString()}::timestamptz
        from due where t.id = due.id
        returning t.id`,
  );
  return rows.length;
}

/**
 * Rows that serve a purpose for a short while and then only hold data: expired sessions, idempotency keys
 * past IDEMPOTENCY_KEY_TTL_HOURS, reminder reservations older than the longest frequency cap (they count
 * toward nothing), daily counters before yesterday (Asia/Shanghai; their keys hold recipient hashes), login
 * throttles that block nobody, and the development outbox past the retention period. Deleted, a bounded
 * batch of each.
 */
export async function deleteExpiredRows(deps: RetentionDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const longestCapMs = Math.max(...deps.config.REMINDER_CAPS.map((c) => c.ms));
  const yesterday = shanghaiDate(new Date(now.getTime() - DAY_MS));
  const loginWindowMs = deps.config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000;
  const statements = [
    sql`delete from sessions where token_hash in (
          select token_hash from sessions where expires_at < ${now.toISOString()}::timestamptz limit ${limit})`,
    sql`delete from idempotency_keys where (scope, key) in (
          select scope, key from idempotency_keys
          where created_at < ${ago(deps.config.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000)}::timestamptz
          order by created_at limit ${limit})`,
    sql`delete from reminder_reservations where id in (
          select id from reminder_reservations where reserved_at < ${ago(longestCapMs)}::timestamptz
          order by reserved_at limit ${limit})`,
    sql`delete from daily_usage where (key, day) in (
          select key, day from daily_usage where day < ${yesterday}::date order by day limit ${limit})`,
    sql`delete from login_throttle where key in (
          select key from login_throttle
          where last_failure_at < ${ago(loginWindowMs)}::timestamptz
            and (blocked_until is null or blocked_until < ${now.toISOString()}::timestamptz)
          limit ${limit})`,
    sql`delete from dev_outbox where id in (
          select id from dev_outbox where created_at < ${retentionCutoff(deps)}::timestamptz limit ${limit})`,
    // Partners' message events (waybill numbers and statuses) go with the records they describe. In id order,
    // which is time order: the oldest come first off the primary key, no index on `at` needed.
    sql`delete from partner_message_events where id in (
          select id from partner_message_events where at < ${retentionCutoff(deps)}::timestamptz
          order by id limit ${limit})`,
  ];
  let deleted = 0;
  for (const statement of statements) {
    deleted += (await queryRows(deps.db, sql`${statement} returning 1`)).length;
  }
  return deleted;
}
