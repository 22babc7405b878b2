import { eq } from "drizzle-orm";
import { alerts } from "../../schema";
import { writeAudit } from "../audit/log";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { recordAlertEvent } from "./events";
import { assertMayAct } from "./verify";

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
