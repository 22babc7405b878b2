import { eq } from "drizzle-orm";
import { alerts, warnings } from "../../schema";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { isMainlandMobile } from "../privacy/phone";
import { openSubjectPhone } from "../privacy/subject";
import { transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { OPEN_STAGES, riskRank } from "./repeats";
import { victimWarningText } from "./sms-texts";

/**
 * The alert.rewarn consumer: a warning joined an alert whose subject has already been warned. The subject is
 * warned again only when the last warning SMS is older than REPEAT_WARNING_QUIET_MINUTES, or when this
 * warning is more urgent than the one they were last warned at (funds moving after a suspicious call).
 * The alert row is locked, so linked warnings arriving together are decided one after the other; the SMS is
 * keyed by the warning, so a redelivered message sends nothing twice.
 */
export async function rewarnSubject(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock" | "sms" | "config">,
  message: { alertId: string; warningId: string; traceId?: string },
  log: Log,
): Promise<void> {
  const { alertId, warningId } = message;
  await transact(deps, async (tx, publish) => {
    const [alert] = await tx.select().from(alerts).where(eq(alerts.id, alertId)).for("update");
    const [warning] = await tx
      .select({ type: warnings.type, riskLevel: warnings.riskLevel, alertId: warnings.alertId })
      .from(warnings)
      .where(eq(warnings.id, warningId));
    if (!alert || !warning || warning.alertId !== alertId) {
      log.warn({ alertId, warningId }, "re-warning for an unknown alert or warning; dropping");
      return;
    }
    if (!(OPEN_STAGES as readonly string[]).includes(alert.stage)) {
      log.info({ alertId, warningId, stage: alert.stage }, "alert closed meanwhile; no re-warning");
      return;
    }
    const phone = openSubjectPhone(deps.pii, alert);
    if (!isMainlandMobile(phone)) {
      // Recorded on the timeline when the alert was pushed; officers call or visit instead.
      log.info({ alertId, warningId }, "subject's number is not a mainland mobile; no warning SMS");
      return;
    }
    const now = deps.clock.now();
    const quietUntil = alert.lastVictimWarningAt
      ? alert.lastVictimWarningAt.getTime() + deps.config.REPEAT_WARNING_QUIET_MINUTES * 60_000
      : Number.NEGATIVE_INFINITY;
    const rose =
      alert.lastVictimWarningRisk === null ||
      riskRank(warning.riskLevel) > riskRank(alert.lastVictimWarningRisk);
    if (now.getTime() < quietUntil && !rose) {
      log.info({ alertId, warningId }, "subject warned recently at this level or higher; not warned again");
      return;
    }
    const created = await queueSms(
      deps,
      tx,
      publish,
      [
        {
          purpose: "victim_warning",
          lane: "urgent",
          to: phone,
          body: victimWarningText(deps.config.SMS_SIGNATURE, warning.type),
          alertId,
          dedupeKey: `${alertId}:${warningId}`,
        },
      ],
      message.traceId,
    );
    if (created.length === 0) return;
    await tx
      .update(alerts)
      .set({ lastVictimWarningAt: now, lastVictimWarningRisk: warning.riskLevel })
      .where(eq(alerts.id, alertId));
    log.info({ alertId, warningId, riskLevel: warning.riskLevel, rose }, "subject warned again");
  });
}
