import { sql } from "drizzle-orm";
import { queryRows } from "../../db/client";
import type { Deps } from "../../deps";
import { transact } from "../../queue/outbox";

type RedriveDeps = Pick<Deps, "db" | "queue" | "config" | "clock">;

/**
 * A queued SMS with a retry or hold event this recent may still have a delayed send job on its way: the SMS
 * engine backs off at most five minutes (retryDelayMs, src/sms/dispatch/failure-policy.ts); a longer
 * Retry-After is enforced by the shared limiter, so a re-driven job would wait for it anyway. The same window spaces the sweeper's own re-drives of one message.
 */
export const SMS_QUIET_MS = 5 * 60_000;

/**
 * Queued SMS whose send job was lost: in the cloud runtime jobs go to SQS after commit, so a failed send
 * after `pushAlert` committed leaves the alert `pushed` and its SMS `queued` with no job. Re-driven: a
 * message nobody is sending (lease null or expired), that is due (not_before, if set, passed more than the
 * grace ago, so a held message's own delayed job gets its turn first), older than the grace, and with no
 * retry, hold or re-drive event within SMS_QUIET_MS (its delayed retry job may still come). What is held on
 * purpose always has such a future: caps and quotas set not_before to the next day, deferred reminders are
 * created with not_before, retries write an event. A duplicate job is harmless: sendSms claims the message
 * only while it is queued and unleased, so one of two jobs sends and the other finds nothing.
 *
 * Column clocks differ and each is compared with the clock that wrote it: created_at, lease_until and event
 * times are database time (now()); not_before is the application clock, as sendSms's claim compares it.
 *
 * Each re-drive is recorded as a `queued` event ("why was this sent late?"), which is also what keeps the
 * next rounds and sweeps from taking the same message again. Returns how many were re-driven.
 *
 * Only lanes whose queue has no backlog: in a flood, 100,000 reminders wait minutes for their rate slots,
 * each with its job in the queue, and every one of them looks like a lost job. Re-driving them would write
 * a false "job was lost" on each and double the queue; a job that really was lost is re-driven once the
 * backlog is gone, which for a reminder is soon enough (and warnings rarely have a backlog at all).
 */
export async function redriveQueuedSms(deps: RedriveDeps, limit: number): Promise<number> {
  const [urgentWaiting, bulkWaiting] = await Promise.all([
    deps.queue.backlogged("sms-urgent"),
    deps.queue.backlogged("sms-bulk"),
  ]);
  const lanes = [...(urgentWaiting ? [] : ["urgent"]), ...(bulkWaiting ? [] : ["bulk"])];
  if (lanes.length === 0) return 0;
  const graceSeconds = deps.config.SWEEP_REDRIVE_GRACE_SECONDS;
  const dueBefore = new Date(deps.clock.now().getTime() - graceSeconds * 1000).toISOString();
  const quietSeconds = Math.max(graceSeconds, SMS_QUIET_MS / 1000);
  return transact(deps, async (tx, publish) => {
    const rows = await queryRows<{ id: string; lane: "urgent" | "bulk" }>(
      tx,
      sql`with due as (
            select m.id, m.lane from sms_messages m
            where m.status = 'queued'
              and m.lane in (select jsonb_array_elements_text(${JSON.stringify(lanes)}::jsonb))
              and (m.lease_until is null or m.lease_until < now())
              and (m.not_before is null or m.not_before <= ${dueBefore}::timestamptz)
              and m.created_at < now() - make_interval(secs => ${graceSeconds})
              and not exists (
                select 1 from sms_events e
                where e.message_id = m.id and e.detail is not null
                  and e.at > now() - make_interval(secs => ${quietSeconds}))
            order by m.created_at
            limit ${limit}
            for update of m skip locked
          ),
          marked as (
            insert into sms_events (message_id, status, detail)
            select id, 'queued', 're-driven by the sweeper: its send job was lost' from due
          )
          select id, lane from due`,
    );
    publish(
      ...rows.map((r) => ({
        // The lane's queue, as src/sms/dispatch/queue-sms.ts publishes it: a re-driven warning never waits behind bulk.
        queue: r.lane === "urgent" ? ("sms-urgent" as const) : ("sms-bulk" as const),
        message: { type: "sms.send" as const, v: 1 as const, messageId: r.id },
      })),
    );
    return rows.length;
  });
}
