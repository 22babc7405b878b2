import { asc, eq } from "drizzle-orm";
import {
  alertEvents,
  alerts,
  contactAttempts,
  officers,
  smsEvents,
  smsMessages,
  warnings,
} from "../../schema";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { maskedSubject } from "../privacy/subject";

/** Officers see their own post's alerts; supervisors and admins the whole station. Others: not found. */
export function canSeeAlert(
  principal: Principal,
  alert: { stationId: string; postId: string | null },
): boolean {
  if (principal.stationId !== alert.stationId) return false;
  return principal.role !== "officer" || (alert.postId !== null && alert.postId === principal.postId);
}

/** An alert as an officer sees it: masked subject, every warning, every SMS and its history, stage times. */
export async function getAlertView(deps: Pick<Deps, "db" | "pii">, principal: Principal, alertId: string) {
  const [alert] = await deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  // 404 rather than 403: an officer of another post must not learn that the alert exists.
  if (!alert || !canSeeAlert(principal, alert)) throw new AppError("ALERT_NOT_FOUND", "no such alert");
  return alertView(deps, alert);
}

/**
 * The view of an alert the caller was already allowed to act on. After a transfer the acting officer no
 * longer sees the alert, but the answer to their own request still shows where it went.
 */
export async function alertView(deps: Pick<Deps, "db" | "pii">, alert: typeof alerts.$inferSelect) {
  const alertId = alert.id;

  const [alertWarnings, messages, events, timeline, attempts] = await Promise.all([
    deps.db.select().from(warnings).where(eq(warnings.alertId, alertId)).orderBy(asc(warnings.receivedAt)),
    deps.db
      .select()
      .from(smsMessages)
      .where(eq(smsMessages.alertId, alertId))
      .orderBy(asc(smsMessages.createdAt)),
    deps.db
      .select({
        messageId: smsEvents.messageId,
        status: smsEvents.status,
        at: smsEvents.at,
        detail: smsEvents.detail,
      })
      .from(smsEvents)
      .innerJoin(smsMessages, eq(smsMessages.id, smsEvents.messageId))
      .where(eq(smsMessages.alertId, alertId))
      .orderBy(asc(smsEvents.id)),
    // Who did what when: every stage change and officer action, from the append-only timeline.
    deps.db
      .select({
        kind: alertEvents.kind,
        at: alertEvents.at,
        officerId: alertEvents.officerId,
        officerName: officers.displayName,
        data: alertEvents.data,
      })
      .from(alertEvents)
      .leftJoin(officers, eq(officers.id, alertEvents.officerId))
      .where(eq(alertEvents.alertId, alertId))
      .orderBy(asc(alertEvents.id)),
    deps.db
      .select({
        id: contactAttempts.id,
        channel: contactAttempts.channel,
        reached: contactAttempts.reached,
        note: contactAttempts.note,
        at: contactAttempts.at,
        officerId: contactAttempts.officerId,
        officerName: officers.displayName,
      })
      .from(contactAttempts)
      .innerJoin(officers, eq(officers.id, contactAttempts.officerId))
      .where(eq(contactAttempts.alertId, alertId))
      .orderBy(asc(contactAttempts.at), asc(contactAttempts.id)),
  ]);

  return {
    id: alert.id,
    stage: alert.stage,
    type: alert.type,
    fraudType: alert.fraudType,
    riskLevel: alert.riskLevel,
    subject: maskedSubject(deps.pii, alert),
    area: { code: alert.areaCode, address: alert.areaAddress },
    amountAtRisk: alert.amountAtRisk,
    postId: alert.postId,
    routedBy: alert.routedBy,
    receivedAt: alert.receivedAt,
    pushedAt: alert.pushedAt,
    acknowledgedAt: alert.acknowledgedAt,
    verifiedAt: alert.verifiedAt,
    fedBackAt: alert.fedBackAt,
    acknowledgedBy: alert.acknowledgedBy,
    verifiedBy: alert.verifiedBy,
    outcome: alert.outcome,
    outcomeNote: alert.outcomeNote,
    amountProtected: alert.amountProtected,
    amountLost: alert.amountLost,
    visitRequired: alert.visitRequired,
    deadline:
      alert.deadlineKind && alert.deadlineAt ? { kind: alert.deadlineKind, at: alert.deadlineAt } : null,
    escalated: alert.escalated,
    escalationCount: alert.escalationCount,
    /** Send it back as `expectedVersion` so a change made meanwhile is a 409, not a silent overwrite. */
    version: alert.version,
    timeline: timeline.map((e) => ({
      kind: e.kind,
      at: e.at,
      officer: e.officerId ? { id: e.officerId, name: e.officerName } : null,
      data: e.data,
    })),
    contactAttempts: attempts.map((a) => ({
      id: a.id,
      channel: a.channel,
      reached: a.reached,
      note: a.note,
      at: a.at,
      officer: { id: a.officerId, name: a.officerName },
    })),
    warnings: alertWarnings.map((w) => ({
      id: w.id,
      sourceId: w.sourceId,
      externalId: w.externalId,
      type: w.type,
      fraudType: w.fraudType,
      riskLevel: w.riskLevel,
      amountAtRisk: w.amountAtRisk,
      indicators: w.indicators,
      detectedAt: w.detectedAt,
      receivedAt: w.receivedAt,
    })),
    messages: messages.map((m) => ({
      id: m.id,
      purpose: m.purpose,
      to: m.recipientMasked,
      status: m.status,
      segments: m.segments,
      createdAt: m.createdAt,
      submittedAt: m.submittedAt,
      finishedAt: m.finishedAt,
      history: events
        .filter((e) => e.messageId === m.id)
        .map(({ status, at, detail }) => ({ status, at, detail })),
    })),
  };
}

export type AlertView = Awaited<ReturnType<typeof alertView>>;
