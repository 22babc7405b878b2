import { and, desc, eq, gt } from "drizzle-orm";
import { alertEvents, alerts } from "../../schema";
import { writeAudit } from "../audit/log";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { recordAlertEvent } from "./events";
import { assertMayAct } from "./verify";
import { canSeeAlert } from "./view";

/**
 * The one way to see a subject's full number (PIPL: reveal only through an audited action). The audit
 * entry (who, when, why) and the timeline entry commit with the read, so no number leaves unrecorded.
 * The number itself is never logged; the reason is kept in the audit log only, not on the timeline.
 */
export async function revealSubjectPhone(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  alertId: string,
  reason: string,
): Promise<{ phone: string }> {
  return deps.db.transaction(async (tx) => {
    const [alert] = await tx.select().from(alerts).where(eq(alerts.id, alertId));
    assertMayAct(principal, alert);
    const now = deps.clock.now();
    await writeAudit(tx, {
      stationId: alert.stationId,
      officerId: principal.officerId,
      action: "alert.subject_phone_revealed",
      targetType: "alert",
      targetId: alertId,
      reason,
      at: now,
    });
    await recordAlertEvent(tx, { alertId, kind: "phone_revealed", at: now, officerId: principal.officerId });
    if (alert.subjectPhoneEnc === null) {
      throw new AppError(
        "PERSONAL_DATA_PURGED",
        `the subject's number was deleted at ${alert.personalDataPurgedAt?.toISOString()}, after the retention period`,
      );
    }
    return { phone: deps.pii.decrypt(alert.subjectPhoneEnc) };
  });
}

/**
 * The number this officer revealed on this alert within the last `windowMs`, with when it hides again; null
 * when there is no such reveal. It re-shows what the audited reveal above already recorded (who, when, why),
 * so the page can keep the number and its call link across actions and reloads without a second entry.
 */
export async function recentReveal(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  alertId: string,
  windowMs: number,
): Promise<{ phone: string; until: Date } | null> {
  const now = deps.clock.now();
  const [alert] = await deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  // Admins may read an alert but never reveal; they have nothing to re-show.
  if (!alert || principal.role === "admin" || !canSeeAlert(principal, alert)) return null;
  if (alert.subjectPhoneEnc === null) return null;
  const [last] = await deps.db
    .select({ at: alertEvents.at })
    .from(alertEvents)
    .where(
      and(
        eq(alertEvents.alertId, alertId),
        eq(alertEvents.kind, "phone_revealed"),
        eq(alertEvents.officerId, principal.officerId),
        gt(alertEvents.at, new Date(now.getTime() - windowMs)),
      ),
    )
    .orderBy(desc(alertEvents.id))
    .limit(1);
  if (!last) return null;
  return { phone: deps.pii.decrypt(alert.subjectPhoneEnc), until: new Date(last.at.getTime() + windowMs) };
}
