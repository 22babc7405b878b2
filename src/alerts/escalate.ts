import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import { alerts, officers } from "../../schema";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import { dutyAt, recipientsOf } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import { queueSms, type SmsToQueue } from "../sms/dispatch/queue-sms";
import { recordAlertEvent } from "./events";
import { escalationNoticeText } from "./sms-texts";
import { escalate, OPEN_STAGES } from "./workflow-system";

type EscalateDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config" | "sms">;
type AlertRow = typeof alerts.$inferSelect;

/**
 * Open alerts past their deadline, a bounded batch (scheduled by the sweeper). A deadline not yet escalated
 * (never, or escalated before this deadline was set) is escalated: flag, level raised one step, notice to
 * the post's on-duty officers and the station's supervisors. One already escalated and still overdue is
 * reminded every ESCALATION_REMIND_MINUTES, without raising the level again. Exactly at the deadline is not
 * overdue; a millisecond after is.
 *
 * The next deadline after an escalation or a reminder: deadline_at = now + ESCALATION_REMIND_MINUTES, kind
 * unchanged — the time the next reminder is owed, so the stale deadline neither keeps the alert overdue
 * nor is measured against again. What tells a reminder from a new escalation is therefore: a deadline no
 * later than the last escalation + the remind interval is the one the sweeper set (or an earlier one the
 * officer's next step computed from receipt under the raised level): reminded, once the interval since the
 * last escalation has passed, without raising the level. A deadline beyond that (the officer moved the alert
 * on and missed the next step) is escalated as new. Rows escalated before this rule (deadline left in the
 * past) fall in the first case, so their reminders go on as before. The officer's next workflow step
 * recomputes deadline_at from the policy as always. The rule itself is `escalate` in ./workflow-system.ts; the
 * query below selects the same alerts it treats.
 *
 * Rows are taken with FOR UPDATE SKIP LOCKED, so two sweeps at once split them. SMS are keyed per
 * escalation, so even a repeated escalation could not text anyone twice.
 */
export async function escalateOverdue(
  deps: EscalateDeps,
  limit: number,
): Promise<{ escalated: number; reminded: number }> {
  const now = deps.clock.now();
  const remindMs = deps.config.ESCALATION_REMIND_MINUTES * 60_000;
  const remindBefore = new Date(now.getTime() - remindMs);
  const remindWindow = sql`make_interval(secs => ${remindMs / 1000})`;
  return transact(deps, async (tx, publish) => {
    const due = await tx
      .select()
      .from(alerts)
      .where(
        and(
          inArray(alerts.stage, [...OPEN_STAGES]),
          or(
            // A missed deadline not covered by the last escalation: escalate.
            and(
              lt(alerts.deadlineAt, now),
              or(
                isNull(alerts.lastEscalatedAt),
                sql`${alerts.deadlineAt} > ${alerts.lastEscalatedAt} + ${remindWindow}`,
              ),
            ),
            // Covered by the last escalation, whose interval has passed: remind (the deadline has passed too).
            and(
              lte(alerts.lastEscalatedAt, remindBefore),
              sql`${alerts.deadlineAt} <= ${alerts.lastEscalatedAt} + ${remindWindow}`,
            ),
          ),
        ),
      )
      .orderBy(asc(alerts.deadlineAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return { escalated: 0, reminded: 0 };

    const recipients = await escalationRecipients(tx, due, now);
    let escalated = 0;
    let reminded = 0;
    for (const alert of due) {
      const { reminder, changes, event } = escalate(alert, now, remindMs);
      await tx.update(alerts).set(changes).where(eq(alerts.id, alert.id));
      const to = recipients(alert);
      await recordAlertEvent(tx, {
        alertId: alert.id,
        kind: event.kind,
        at: now,
        data: { ...event.data, notified: to.length },
      });
      await notify(deps, tx, publish, { ...alert, riskLevel: changes.riskLevel }, to, {
        count: changes.escalationCount,
        reminder,
      });
      if (reminder) reminded++;
      else escalated++;
    }
    return { escalated, reminded };
  });
}

/**
 * Those on duty at each alert's post (or its fallback, src/organisation/on-duty.ts) and every supervisor of
 * its station, each once, with a phone.
 */
async function escalationRecipients(tx: Tx, due: AlertRow[], now: Date) {
  const postIds = [...new Set(due.map((a) => a.postId).filter((p): p is string => p !== null))];
  const stationIds = [...new Set(due.map((a) => a.stationId))];
  const [supervisors, onDuty] = await Promise.all([
    tx
      .select({ id: officers.id, stationId: officers.stationId, phoneEnc: officers.phoneEnc })
      .from(officers)
      .where(
        and(
          isNull(officers.disabledAt),
          isNotNull(officers.phoneEnc),
          inArray(officers.stationId, stationIds),
          eq(officers.role, "supervisor"),
        ),
      ),
    dutyAt(tx, postIds, now, { reachable: true }),
  ]);
  return (alert: AlertRow) => {
    const to = new Map(recipientsOf(onDuty, alert.postId).map((o) => [o.id, { phoneEnc: o.phoneEnc }]));
    for (const s of supervisors) if (s.stationId === alert.stationId) to.set(s.id, { phoneEnc: s.phoneEnc });
    return [...to.values()];
  };
}

async function notify(
  deps: EscalateDeps,
  tx: Tx,
  publish: Publish,
  alert: AlertRow,
  to: { phoneEnc: string | null }[],
  notice: { count: number; reminder: boolean },
) {
  const body = escalationNoticeText(deps.config.SMS_SIGNATURE, alert, notice);
  const sms: SmsToQueue[] = to.map((o) => ({
    purpose: "escalation_notice",
    lane: "urgent",
    to: deps.pii.decrypt(o.phoneEnc as string),
    body,
    alertId: alert.id,
    dedupeKey: `${alert.id}:esc${notice.count}`,
  }));
  await queueSms(deps, tx, publish, sms);
}
