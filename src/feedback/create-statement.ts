import { type SQL, sql } from "drizzle-orm";
import { newIdSql } from "../ids";

/** ISO-8601 in UTC with milliseconds, as Date.prototype.toISOString writes it; null stays null. */
const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface FeedbackCreationSql {
  /** CTEs (`name as (...)`) that create the events; they read the changed alert rows from `changed`. */
  ctes: SQL[];
  /** The timeline entries of the events created: rows of (alert_id, kind, at, officer_id, data). */
  timeline: SQL;
  /** Their delivery messages: rows of (queue, payload). */
  deliveries: SQL;
}

/**
 * createFeedbackEvents (./create.ts) as part of the statement that closes the alert, for the local runtime,
 * where the outcome's own transaction creates its feedback (src/local/prompt.ts): one statement instead of a
 * round trip for the lock and the sources, one per event and its timeline entry, and one for the jobs.
 *
 * `changed` names a CTE holding the alert rows as the statement's UPDATE returned them (so the payload shows
 * the outcome just written); an alert that is not `verified` gets nothing, as in createFeedbackInTransaction.
 * The same rules as createFeedbackEvents: one event per source that sent a warning for the alert (unique per
 * alert and source, so nothing is created twice), `pending` with a delivery message for a source with a
 * callback URL, `pull` otherwise, and the payload of feedbackPayload (test/feedback/create-statement.test.ts
 * holds the two to the same result).
 */
export function feedbackCreationSql(changed: SQL, now: Date): FeedbackCreationSql {
  const at = sql`${now.toISOString()}::timestamptz`;
  return {
    ctes: [
      sql`feedback_sources as (
        select c.id as alert_id, w.source_id, s.callback_url, array_agg(w.external_id order by w.id) as external_ids
        from ${changed} c
        join warnings w on w.alert_id = c.id
        join feed_sources s on s.id = w.source_id
        where c.stage = 'verified'
        group by c.id, w.source_id, s.callback_url
      )`,
      sql`feedback_created as (
        insert into feedback_events (id, alert_id, source_id, payload, status, next_attempt_at, created_at)
        select f.id, c.id, f.source_id,
               jsonb_build_object(
                 'eventId', f.id, 'alertId', c.id,
                 'externalId', f.external_ids[1], 'externalIds', to_jsonb(f.external_ids),
                 'outcome', c.outcome, 'amountProtected', c.amount_protected, 'amountLost', c.amount_lost,
                 'riskLevel', c.risk_level,
                 'stageTimes', jsonb_build_object(
                   'receivedAt', ${iso(sql`c.received_at`)}, 'pushedAt', ${iso(sql`c.pushed_at`)},
                   'acknowledgedAt', ${iso(sql`c.acknowledged_at`)}, 'verifiedAt', ${iso(sql`c.verified_at`)})),
               case when f.callback_url is null then 'pull' else 'pending' end,
               case when f.callback_url is null then null else ${at} end,
               ${at}
        from (select *, ${newIdSql("feedback", now.getTime())} as id from feedback_sources) f
        join ${changed} c on c.id = f.alert_id
        on conflict do nothing
        returning id, alert_id, source_id, status
      )`,
    ],
    timeline: sql`select alert_id, 'feedback_queued'::text as kind, ${at} as at, null::text as officer_id,
                         jsonb_build_object('eventId', id, 'sourceId', source_id) as data
                  from feedback_created`,
    deliveries: sql`select 'feedback'::text as queue,
                           jsonb_build_object('type', 'feedback.deliver', 'v', 1, 'eventId', id) as payload
                    from feedback_created where status = 'pending'`,
  };
}
