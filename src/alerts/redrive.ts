import { and, asc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { alertEvents, alerts, officerNotices, officers } from "../../schema";
import type { Deps } from "../deps";
import { stillPaged } from "../organisation/on-duty";
import { transact } from "../queue/outbox";
import { recordAlertEvent } from "./events";

type RedriveDeps = Pick<Deps, "db" | "queue" | "config" | "clock">;

/** An alert may sit in `received` this long before its push counts as lost. */
export const PUSH_GRACE_MS = 60_000;
/** A lost push is re-driven at most this often per alert (a push that keeps failing is not re-queued every tick). */
export const PUSH_REDRIVE_EVERY_MS = 5 * 60_000;

/**
 * Alerts still in `received` a minute after intake: their push message was lost (an SQS send that never
 * happened after commit, a dead-lettered job). Re-publishing is harmless: push is idempotent. The timeline
 * records each re-drive, which also spaces them out for an alert whose push keeps failing. Scheduled by the
 * sweeper; rows are taken with FOR UPDATE SKIP LOCKED, so two sweeps at once split them.
 */
export async function redriveLostPushes(deps: RedriveDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  return transact(deps, async (tx, publish) => {
    const stuck = await tx
      .select({ id: alerts.id })
      .from(alerts)
      .where(
        and(
          eq(alerts.stage, "received"),
          lt(alerts.receivedAt, new Date(now.getTime() - PUSH_GRACE_MS)),
          sql`not exists (select 1 from ${alertEvents} where ${alertEvents.alertId} = ${alerts.id}
                and ${alertEvents.kind} = 'push_redriven'
                and ${alertEvents.at} > ${new Date(now.getTime() - PUSH_REDRIVE_EVERY_MS).toISOString()}::timestamptz)`,
        ),
      )
      .orderBy(asc(alerts.receivedAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    for (const { id } of stuck) {
      await recordAlertEvent(tx, { alertId: id, kind: "push_redriven", at: now });
      publish({ queue: "alert-push", message: { type: "alert.push", v: 1, alertId: id } });
    }
    return stuck.length;
  });
}

/**
 * Officers with notices pending longer than their notify interval plus the grace, who were not notified
 * within that time either — or with a critical or high notice pending longer than the grace alone, since
 * those are flushed at once whatever the interval — and who can be reached (a notice for an officer off duty or disabled waits for
 * the next flush on purpose: see notifyOfficer). Their flush message was lost; `officer.notify` is
 * re-published. The consumer locks the officer and marks what it sends, so a duplicate flush sends nothing.
 * One bounded batch per run: nothing here changes the officer rows, so a second round would find the same
 * officers; the rest wait for the next sweep, which finds a flushed officer no longer pending.
 */
export async function redriveOfficerNotices(deps: RedriveDeps, limit: number): Promise<number> {
  const { OFFICER_NOTIFY_INTERVAL_SECONDS: interval, SWEEP_REDRIVE_GRACE_SECONDS: grace } = deps.config;
  const now = deps.clock.now().getTime();
  const stale = new Date(now - (interval + grace) * 1000);
  // A critical or high notice is flushed at once, so its message counts as lost after the grace alone.
  const urgentStale = new Date(now - grace * 1000);
  return transact(deps, async (tx, publish) => {
    const due = await tx
      .select({ id: officers.id })
      .from(officers)
      .where(
        and(
          isNotNull(officers.phoneEnc),
          isNull(officers.disabledAt),
          sql`exists (select 1 from ${officerNotices} join ${alerts} on ${alerts.id} = ${officerNotices.alertId}
                where ${officerNotices.officerId} = ${officers.id}
                and ${officerNotices.messageId} is null and ${officerNotices.droppedAt} is null
                and (${alerts.riskLevel} in ('critical', 'high')
                       and ${officerNotices.createdAt} < ${urgentStale.toISOString()}::timestamptz
                     or ${officerNotices.createdAt} < ${stale.toISOString()}::timestamptz
                       and (${officers.lastNotifiedAt} is null
                            or ${officers.lastNotifiedAt} < ${stale.toISOString()}::timestamptz)))`,
        ),
      )
      .orderBy(asc(officers.id))
      .limit(limit)
      .for("update", { skipLocked: true });
    // Off duty now (roster, leave, own switch): the notices wait, as the flush itself would keep them.
    const paged = await stillPaged(
      tx,
      due.map((o) => o.id),
      deps.clock.now(),
    );
    publish(
      ...due
        .filter((o) => paged.has(o.id))
        .map((o) => ({
          queue: "officer-notify" as const,
          message: { type: "officer.notify" as const, v: 1 as const, officerId: o.id },
        })),
    );
    return paged.size;
  });
}
