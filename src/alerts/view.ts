import { asc, eq } from "drizzle-orm";
import { alerts, smsEvents, smsMessages, warnings } from "../../schema";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { maskName, maskPhone } from "../privacy/phone";

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

  const [alertWarnings, messages, events] = await Promise.all([
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
  ]);

  return {
    id: alert.id,
    stage: alert.stage,
    type: alert.type,
    fraudType: alert.fraudType,
    riskLevel: alert.riskLevel,
    subject: {
      phone: maskPhone(deps.pii.decrypt(alert.subjectPhoneEnc)),
      name: alert.subjectNameEnc ? maskName(deps.pii.decrypt(alert.subjectNameEnc)) : null,
    },
    area: { code: alert.areaCode, address: alert.areaAddress },
    amountAtRisk: alert.amountAtRisk,
    postId: alert.postId,
    routedBy: alert.routedBy,
    receivedAt: alert.receivedAt,
    pushedAt: alert.pushedAt,
    acknowledgedAt: alert.acknowledgedAt,
    verifiedAt: alert.verifiedAt,
    fedBackAt: alert.fedBackAt,
    warnings: alertWarnings.map((w) => ({
      id: w.id,
      sourceId: w.sourceId,
      externalId: w.externalId,
      type: w.type,
      riskLevel: w.riskLevel,
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

export type AlertView = Awaited<ReturnType<typeof getAlertView>>;
