import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { alerts, officerNotices, officers } from "../../schema";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { stillPaged } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { officerNotificationText, officerSummaryText } from "./sms-texts";

/**
 * Officer notifications are bundled: an alert for an officer becomes a pending notice, and an
 * `officer.notify` message flushes the officer's pending notices as one SMS, at most one per
 * OFFICER_NOTIFY_INTERVAL_SECONDS. During a burst the first alert goes out at once and the rest follow in one
 * summary when the interval has passed, instead of one SMS per alert.
 */

/** Seconds until an officer last notified at `lastNotifiedAt` may be sent another SMS (0: now). */
export function secondsUntilDue(lastNotifiedAt: Date | null, now: Date, intervalSeconds: number): number {
  if (!lastNotifiedAt) return 0;
  const dueAt = lastNotifiedAt.getTime() + intervalSeconds * 1000;
  return Math.max(0, Math.ceil((dueAt - now.getTime()) / 1000));
}

/**
 * Called in the transaction that gives officers alerts (push, transfer): records a pending notice each and
 * schedules a flush for when each officer's interval allows. Every notice gets its own flush message, so a
 * lost message cannot strand notices: the next alert's message carries them too. Takes several alerts so a
 * batch of pushes writes its notices in one statement.
 */
export async function queueOfficerNotices(
  deps: Pick<Deps, "config">,
  tx: Tx,
  publish: Publish,
  input: {
    alerts: { alertId: string; officers: { id: string; lastNotifiedAt: Date | null }[]; traceId?: string }[];
    now: Date;
  },
): Promise<void> {
  const notices = input.alerts.flatMap((a) => a.officers.map((o) => ({ ...a, officer: o })));
  if (notices.length === 0) return;
  await tx
    .insert(officerNotices)
    .values(notices.map((n) => ({ officerId: n.officer.id, alertId: n.alertId, createdAt: input.now })))
    .onConflictDoNothing();
  publish(
    ...notices.map((n) => ({
      queue: "officer-notify" as const,
      message: {
        type: "officer.notify" as const,
        v: 1 as const,
        officerId: n.officer.id,
        traceId: n.traceId,
      },
      delaySeconds: secondsUntilDue(
        n.officer.lastNotifiedAt,
        input.now,
        deps.config.OFFICER_NOTIFY_INTERVAL_SECONDS,
      ),
    })),
  );
}

/**
 * The officer.notify consumer. The officer row is locked, so flushes for one officer run one at a time; a
 * flush marks the notices it carried with the SMS id, so a redelivered or duplicate message finds nothing
 * pending and sends nothing. Too early (the interval has not passed): it schedules itself for the rest.
 */
export async function notifyOfficer(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock" | "sms" | "config">,
  message: { officerId: string; traceId?: string },
  log: Log,
): Promise<void> {
  const { officerId } = message;
  await transact(deps, async (tx, publish) => {
    const [officer] = await tx
      .select({
        phoneEnc: officers.phoneEnc,
        disabledAt: officers.disabledAt,
        lastNotifiedAt: officers.lastNotifiedAt,
      })
      .from(officers)
      .where(eq(officers.id, officerId))
      .for("update");
    if (!officer) {
      log.warn({ officerId }, "notification for an unknown officer; dropping");
      return;
    }
    const pending = await tx
      .select({
        alertId: officerNotices.alertId,
        createdAt: officerNotices.createdAt,
        type: alerts.type,
        riskLevel: alerts.riskLevel,
        areaAddress: alerts.areaAddress,
      })
      .from(officerNotices)
      .innerJoin(alerts, eq(alerts.id, officerNotices.alertId))
      .where(and(eq(officerNotices.officerId, officerId), isNull(officerNotices.messageId)))
      .orderBy(asc(officerNotices.createdAt), asc(officerNotices.alertId));
    const first = pending[0];
    if (!first) {
      log.debug({ officerId }, "nothing pending for the officer");
      return;
    }
    // Off duty (src/organisation/on-duty.ts) or disabled since the alert came: no SMS now; the notices wait.
    const onDuty = await stillPaged(tx, [officerId], deps.clock.now());
    if (!officer.phoneEnc || !onDuty.has(officerId) || officer.disabledAt) {
      log.info({ officerId, pending: pending.length }, "officer not reachable now; notices kept");
      return;
    }
    const now = deps.clock.now();
    const wait = secondsUntilDue(officer.lastNotifiedAt, now, deps.config.OFFICER_NOTIFY_INTERVAL_SECONDS);
    if (wait > 0) {
      publish({
        queue: "officer-notify",
        message: { type: "officer.notify", v: 1, officerId, traceId: message.traceId },
        delaySeconds: wait,
      });
      log.debug({ officerId, pending: pending.length, wait }, "officer notified recently; flush rescheduled");
      return;
    }

    const signature = deps.config.SMS_SIGNATURE;
    const single = pending.length === 1;
    const [smsId] = await queueSms(
      deps,
      tx,
      publish,
      [
        {
          purpose: "officer_notification",
          lane: "urgent",
          to: deps.pii.decrypt(officer.phoneEnc),
          body: single
            ? officerNotificationText(signature, { ...first, id: first.alertId })
            : officerSummaryText(
                signature,
                pending.map((p) => p.riskLevel),
              ),
          // A summary covers several alerts, so it belongs to none of them; the notices point to it instead.
          alertId: single ? first.alertId : undefined,
          dedupeKey: `${officerId}:${first.alertId}`,
        },
      ],
      message.traceId,
    );
    if (!smsId) {
      // The notices are marked in the same transaction as their SMS is created, so this cannot happen.
      throw new Error(`officer ${officerId}: summary SMS already exists but its notices are pending`);
    }
    await tx
      .update(officerNotices)
      .set({ messageId: smsId })
      .where(
        and(
          eq(officerNotices.officerId, officerId),
          inArray(
            officerNotices.alertId,
            pending.map((p) => p.alertId),
          ),
        ),
      );
    await tx.update(officers).set({ lastNotifiedAt: now }).where(eq(officers.id, officerId));
    log.info({ officerId, smsId, alerts: pending.length }, "officer notified");
  });
}
