import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import { alertEvents, alerts, feedbackEvents, officers, type RiskLevel, warnings } from "../../schema";
import { recordAlertEvent } from "../alerts/events";
import { escalationNoticeText } from "../alerts/sms-texts";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import { createFeedbackEvents } from "../feedback/create";
import { feedbackLeaseMs } from "../feedback/deliver";
import type { Log } from "../log";
import {
  deleteExpiredRows,
  purgeClosedAlerts,
  purgeFinishedSms,
  purgeParcelEvents,
} from "../privacy/retention";
import { type Publish, transact } from "../queue/outbox";
import { expireStaleSms } from "../sms/expiry";
import { queueSms, type SmsToQueue } from "../sms/queue-sms";
import { redriveOfficerNotices, redriveQueuedSms } from "./redrive-messages";

type SweepDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config" | "sms">;
type AlertRow = typeof alerts.$inferSelect;

/** An alert may sit in `received` this long before its push counts as lost. */
export const PUSH_GRACE_MS = 60_000;
/** A lost push is re-driven at most this often per alert (a push that keeps failing is not re-queued every tick). */
export const PUSH_REDRIVE_EVERY_MS = 5 * 60_000;
/** Batches per kind of work in one run; what is left waits for the next tick, which keeps a run bounded. */
const MAX_ROUNDS = 10;

const OPEN_STAGES = ["received", "pushed", "acknowledged"] as const;
const RAISED: Record<RiskLevel, RiskLevel> = {
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};

export interface SweepReport {
  escalated: number;
  reminded: number;
  pushesRedriven: number;
  feedbackCreated: number;
  feedbackRedriven: number;
  /** Submitted SMS with no receipt after SMS_RECEIPT_TIMEOUT_HOURS (src/sms/expiry.ts). */
  smsExpired: number;
  /** Queued SMS whose send job was lost, re-published (redrive-messages.ts). */
  smsRedriven: number;
  /** Officers whose pending notices' flush was lost, re-published (redrive-messages.ts). */
  officerNoticesRedriven: number;
  /** Records whose personal fields the retention purge cleared (src/privacy/retention.ts). */
  alertsPurged: number;
  smsPurged: number;
  parcelEventsPurged: number;
  /** Expired sessions, idempotency keys, reservations, counters and throttles deleted. */
  expiredRowsDeleted: number;
}

/**
 * The scheduled sweeper (sweep.run): nothing waits silently past its deadline, and nothing a crash or a
 * lost message left behind stays stuck. Each kind of work takes its rows with FOR UPDATE SKIP LOCKED inside
 * the transaction that handles them, and re-checks the condition that selected them, so two sweeps at once
 * split the rows between them and a second run finds nothing left to do. SMS are keyed per escalation, so
 * even a repeated escalation could not text anyone twice.
 */
export async function runSweep(deps: SweepDeps, log: Log): Promise<SweepReport> {
  const report: SweepReport = {
    escalated: 0,
    reminded: 0,
    pushesRedriven: 0,
    feedbackCreated: 0,
    feedbackRedriven: 0,
    smsExpired: 0,
    smsRedriven: 0,
    officerNoticesRedriven: 0,
    alertsPurged: 0,
    smsPurged: 0,
    parcelEventsPurged: 0,
    expiredRowsDeleted: 0,
  };
  await inRounds(deps, async (limit) => {
    const r = await escalateOverdue(deps, limit);
    report.escalated += r.escalated;
    report.reminded += r.reminded;
    return r.escalated + r.reminded;
  });
  await inRounds(deps, async (limit) => {
    const n = await redriveLostPushes(deps, limit);
    report.pushesRedriven += n;
    return n;
  });
  await inRounds(deps, async (limit) => {
    const n = await createMissingFeedback(deps, limit);
    report.feedbackCreated += n;
    return n;
  });
  await inRounds(deps, async (limit) => {
    const n = await redriveStalledFeedback(deps, limit);
    report.feedbackRedriven += n;
    return n;
  });
  await inRounds(deps, async (limit) => {
    const n = await expireStaleSms(deps, limit);
    report.smsExpired += n;
    return n;
  });
  await inRounds(deps, async (limit) => {
    const n = await redriveQueuedSms(deps, limit);
    report.smsRedriven += n;
    return n;
  });
  report.officerNoticesRedriven = await redriveOfficerNotices(deps, deps.config.SWEEP_BATCH_SIZE);
  const retention = [
    ["alertsPurged", purgeClosedAlerts],
    ["smsPurged", purgeFinishedSms],
    ["parcelEventsPurged", purgeParcelEvents],
    ["expiredRowsDeleted", deleteExpiredRows],
  ] as const;
  for (const [key, step] of retention) {
    await inRounds(
      deps,
      async (limit) => {
        const n = await step(deps, limit);
        report[key] += n;
        return n;
      },
      deps.config.PII_PURGE_BATCH_SIZE,
    );
  }
  const total = Object.values(report).reduce((a, b) => a + b, 0);
  if (total > 0) log.info(report, "sweep done");
  else log.debug("sweep found nothing to do");
  return report;
}

async function inRounds(
  deps: SweepDeps,
  round: (limit: number) => Promise<number>,
  limit = deps.config.SWEEP_BATCH_SIZE,
): Promise<void> {
  for (let i = 0; i < MAX_ROUNDS; i++) {
    if ((await round(limit)) < limit) return;
  }
}

/**
 * (a) Open alerts past their deadline. A deadline not yet escalated (never, or escalated before this
 * deadline was set) is escalated: flag, level raised one step, notice to the post's on-duty officers and the
 * station's supervisors. One already escalated and still overdue is reminded every ESCALATION_REMIND_MINUTES,
 * without raising the level again. Exactly at the deadline is not overdue; a millisecond after is.
 *
 * The next deadline after an escalation or a reminder: deadline_at = now + ESCALATION_REMIND_MINUTES, kind
 * unchanged — the time the next reminder is owed, so the stale deadline neither keeps the alert overdue
 * nor is measured against again. What tells a reminder from a new escalation is therefore: a deadline no
 * later than the last escalation + the remind interval is the one the sweeper set (or an earlier one the
 * officer's next step computed from receipt under the raised level): reminded, once the interval since the
 * last escalation has passed, without raising the level. A deadline beyond that (the officer moved the alert
 * on and missed the next step) is escalated as new. Rows escalated before this rule (deadline left in the
 * past) fall in the first case, so their reminders go on as before. The officer's next workflow step
 * recomputes deadline_at from the policy as always.
 */
async function escalateOverdue(deps: SweepDeps, limit: number) {
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

    const recipients = await escalationRecipients(tx, due);
    let escalated = 0;
    let reminded = 0;
    for (const alert of due) {
      const reminder =
        alert.lastEscalatedAt !== null &&
        alert.deadlineAt !== null &&
        alert.deadlineAt.getTime() <= alert.lastEscalatedAt.getTime() + remindMs;
      const count = alert.escalationCount + 1;
      const riskLevel = reminder ? alert.riskLevel : RAISED[alert.riskLevel];
      const nextDeadlineAt = new Date(now.getTime() + remindMs);
      await tx
        .update(alerts)
        .set({
          escalated: true,
          escalationCount: count,
          lastEscalatedAt: now,
          riskLevel,
          deadlineAt: nextDeadlineAt,
        })
        .where(eq(alerts.id, alert.id));
      const to = recipients(alert);
      await recordAlertEvent(tx, {
        alertId: alert.id,
        kind: "escalated",
        at: now,
        data: {
          count,
          reminder,
          deadline: alert.deadlineKind,
          deadlineAt: alert.deadlineAt?.toISOString() ?? null,
          nextDeadlineAt: nextDeadlineAt.toISOString(),
          riskFrom: alert.riskLevel,
          riskTo: riskLevel,
          notified: to.length,
        },
      });
      await notify(deps, tx, publish, { ...alert, riskLevel }, to, { count, reminder });
      if (reminder) reminded++;
      else escalated++;
    }
    return { escalated, reminded };
  });
}

/** The on-duty officers of each alert's post and every supervisor of its station, each once, with a phone. */
async function escalationRecipients(tx: Tx, due: AlertRow[]) {
  const postIds = [...new Set(due.map((a) => a.postId).filter((p): p is string => p !== null))];
  const stationIds = [...new Set(due.map((a) => a.stationId))];
  const conditions: SQL[] = [
    and(inArray(officers.stationId, stationIds), eq(officers.role, "supervisor")) as SQL,
  ];
  if (postIds.length > 0)
    conditions.push(and(inArray(officers.postId, postIds), eq(officers.onDuty, true)) as SQL);
  const rows = await tx
    .select({
      id: officers.id,
      stationId: officers.stationId,
      postId: officers.postId,
      role: officers.role,
      onDuty: officers.onDuty,
      phoneEnc: officers.phoneEnc,
    })
    .from(officers)
    .where(and(isNull(officers.disabledAt), isNotNull(officers.phoneEnc), or(...conditions)));
  return (alert: AlertRow) =>
    rows.filter(
      (o) =>
        o.stationId === alert.stationId &&
        (o.role === "supervisor" || (o.onDuty && alert.postId !== null && o.postId === alert.postId)),
    );
}

async function notify(
  deps: SweepDeps,
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

/**
 * (b) Alerts still in `received` a minute after intake: their push message was lost (an SQS send that
 * never happened after commit, a dead-lettered job). Re-publishing is harmless: push is idempotent. The
 * timeline records each re-drive, which also spaces them out for an alert whose push keeps failing.
 */
async function redriveLostPushes(deps: SweepDeps, limit: number): Promise<number> {
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
 * (c) Verified alerts with a source that has no feedback event: the outcome creates them in its own
 * transaction, so this only finds what a bug or a hand-edited row left behind. createFeedbackEvents is
 * unique per alert and source, so calling it again creates only what is missing.
 */
async function createMissingFeedback(deps: SweepDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  return transact(deps, async (tx, publish) => {
    const missing = await tx
      .select()
      .from(alerts)
      .where(
        and(
          eq(alerts.stage, "verified"),
          sql`exists (select 1 from ${warnings} where ${warnings.alertId} = ${alerts.id}
                and not exists (select 1 from ${feedbackEvents} where ${feedbackEvents.alertId} = ${alerts.id}
                                and ${feedbackEvents.sourceId} = ${warnings.sourceId}))`,
        ),
      )
      .limit(limit)
      .for("update", { skipLocked: true });
    for (const alert of missing) await createFeedbackEvents(tx, publish, alert, now);
    return missing.length;
  });
}

/**
 * (c) Pending feedback whose next attempt is overdue by more than a delivery lease: its message was lost
 * (or its worker died mid-POST). Moving `next_attempt_at` to now makes the event claimable at once and keeps
 * the next sweep from re-driving it again until another lease has passed.
 */
async function redriveStalledFeedback(deps: SweepDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  const stalledBefore = new Date(now.getTime() - feedbackLeaseMs(deps.config));
  return transact(deps, async (tx, publish) => {
    const stalled = await tx
      .select({ id: feedbackEvents.id })
      .from(feedbackEvents)
      .where(
        and(
          eq(feedbackEvents.status, "pending"),
          or(isNull(feedbackEvents.nextAttemptAt), lt(feedbackEvents.nextAttemptAt, stalledBefore)),
        ),
      )
      .orderBy(asc(feedbackEvents.nextAttemptAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (stalled.length === 0) return 0;
    const ids = stalled.map((s) => s.id);
    await tx.update(feedbackEvents).set({ nextAttemptAt: now }).where(inArray(feedbackEvents.id, ids));
    publish(
      ...ids.map((eventId) => ({
        queue: "feedback" as const,
        message: { type: "feedback.deliver" as const, v: 1 as const, eventId },
      })),
    );
    return ids.length;
  });
}
