import { and, asc, eq, inArray, isNotNull, isNull, lt } from "drizzle-orm";
import { alerts, type EscalationTarget, officers, posts } from "../../schema";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import { type EscalationPolicies, policiesOf } from "../organisation/escalation-policies";
import { dutyAt, recipientsOf } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import { queueSms, type SmsToQueue } from "../sms/dispatch/queue-sms";
import { recordAlertEvent } from "./events";
import { escalationNoticeText } from "./sms-texts";
import { escalate, OPEN_STAGES } from "./workflow-system";

type EscalateDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config" | "sms">;
type AlertRow = typeof alerts.$inferSelect;

/**
 * Open alerts past their deadline, a bounded batch (scheduled by the sweeper): each pages the next step of
 * its escalation chain (the rule is `escalate` in ./workflow-system.ts, the steps are the station's policy
 * for the level, src/organisation/escalation-policies.ts). Paging a step sets the deadline to when the
 * following step is owed, so an alert is selected again exactly when its next step is due; an officer's
 * next step sets a new deadline and ends the chain. Exactly at the deadline is not overdue; a millisecond
 * after is.
 *
 * Rows are taken with FOR UPDATE SKIP LOCKED, so two sweeps at once split them. SMS are keyed per
 * escalation, so even a repeated escalation could not text anyone twice.
 */
export async function escalateOverdue(
  deps: EscalateDeps,
  limit: number,
): Promise<{ escalated: number; reminded: number }> {
  const now = deps.clock.now();
  return transact(deps, async (tx, publish) => {
    const due = await tx
      .select()
      .from(alerts)
      .where(and(inArray(alerts.stage, [...OPEN_STAGES]), lt(alerts.deadlineAt, now)))
      .orderBy(asc(alerts.deadlineAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return { escalated: 0, reminded: 0 };

    const stationIds = [...new Set(due.map((a) => a.stationId))];
    const [policies, recipients] = await Promise.all([
      policiesOf(tx, stationIds, deps.config.ESCALATION_REMIND_MINUTES),
      escalationRecipients(tx, due, now),
    ]);
    let escalated = 0;
    let reminded = 0;
    for (const alert of due) {
      const step = escalate(alert, now, policies.get(alert.stationId) as EscalationPolicies);
      const { changes, event } = step;
      await tx.update(alerts).set(changes).where(eq(alerts.id, alert.id));
      const to = recipients(alert, step.targets);
      await recordAlertEvent(tx, {
        alertId: alert.id,
        kind: event.kind,
        at: now,
        data: { ...event.data, notified: to.length },
      });
      await notify(deps, tx, publish, { ...alert, riskLevel: changes.riskLevel }, to, {
        count: changes.escalationCount,
        step: step.step,
        reminder: step.reminder,
        raised: changes.riskLevel !== alert.riskLevel,
      });
      if (step.reminder) reminded++;
      else escalated++;
    }
    return { escalated, reminded };
  });
}

type Pageable = { id: string; phoneEnc: string };

/**
 * Who each step's targets are for an alert, each officer once, with a phone: the post's on-duty officers (or
 * its fallback, src/organisation/on-duty.ts), every officer of the post, the station's supervisors, whoever is
 * on duty at the station's duty desk, or a named officer. A step that finds nobody pages the supervisors:
 * an escalation never goes to nobody while the station has one.
 */
async function escalationRecipients(tx: Tx, due: AlertRow[], now: Date) {
  const stationIds = [...new Set(due.map((a) => a.stationId))];
  const [staff, desks] = await Promise.all([
    tx
      .select({
        id: officers.id,
        stationId: officers.stationId,
        postId: officers.postId,
        role: officers.role,
        phoneEnc: officers.phoneEnc,
      })
      .from(officers)
      .where(
        and(
          isNull(officers.disabledAt),
          isNotNull(officers.phoneEnc),
          inArray(officers.stationId, stationIds),
        ),
      ),
    tx
      .select({ id: posts.id, stationId: posts.stationId })
      .from(posts)
      .where(and(eq(posts.isDutyDesk, true), inArray(posts.stationId, stationIds))),
  ]);
  const postIds = [...new Set([...due.map((a) => a.postId), ...desks.map((d) => d.id)])].filter(
    (p): p is string => p !== null,
  );
  const onDuty = await dutyAt(tx, postIds, now, { reachable: true });
  const reachable = staff as (Omit<(typeof staff)[number], "phoneEnc"> & { phoneEnc: string })[];
  const dutyOf = (postId: string | null | undefined): Pageable[] =>
    recipientsOf(onDuty, postId ?? null).map((o) => ({ id: o.id, phoneEnc: o.phoneEnc as string }));

  return (alert: AlertRow, targets: EscalationTarget[]): Pageable[] => {
    const ofStation = reachable.filter((o) => o.stationId === alert.stationId);
    const supervisors = ofStation.filter((o) => o.role === "supervisor");
    const resolve = (t: EscalationTarget): Pageable[] => {
      switch (t.kind) {
        case "on_duty":
          return dutyOf(alert.postId);
        case "post_all":
          return ofStation.filter((o) => alert.postId !== null && o.postId === alert.postId);
        case "supervisors":
          return supervisors;
        case "duty_desk":
          return dutyOf(desks.find((d) => d.stationId === alert.stationId)?.id);
        case "officer":
          return ofStation.filter((o) => o.id === t.officerId);
      }
    };
    const to = new Map(targets.flatMap(resolve).map((o) => [o.id, o]));
    if (to.size === 0) for (const s of supervisors) to.set(s.id, s);
    return [...to.values()];
  };
}

async function notify(
  deps: EscalateDeps,
  tx: Tx,
  publish: Publish,
  alert: AlertRow,
  to: Pageable[],
  notice: { count: number; step: number; reminder: boolean; raised: boolean },
) {
  const body = escalationNoticeText(deps.config.SMS_SIGNATURE, alert, notice);
  const sms: SmsToQueue[] = to.map((o) => ({
    purpose: "escalation_notice",
    lane: "urgent",
    to: deps.pii.decrypt(o.phoneEnc),
    body,
    alertId: alert.id,
    dedupeKey: `${alert.id}:esc${notice.count}`,
  }));
  await queueSms(deps, tx, publish, sms);
}
