import { and, eq, isNotNull, isNull } from "drizzle-orm";
import { alerts, jurisdictionRules, officers, posts } from "../../schema";
import { transact } from "../db/transaction";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { queueSms } from "../sms/queue-sms";
import { victimWarningText } from "../sms/templates";
import { nextDeadline } from "./deadlines";
import { recordAlertEvent } from "./events";
import { queueOfficerNotices } from "./officer-notify";
import { chooseRoute } from "./routing";

/**
 * 快推, the alert.push consumer: routes the alert to a post, queues the warning SMS to the subject and a
 * notice for each on-duty officer of that post (bundled into at most one SMS per officer per interval, see
 * ./officer-notify.ts), and marks it pushed — all in one transaction, so a redelivered message finds the
 * alert already pushed and sends nothing again.
 */
export async function pushAlert(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock" | "sms" | "config">,
  alertId: string,
  log: Log,
  traceId?: string,
): Promise<void> {
  await transact(deps, async (tx, publish) => {
    const [alert] = await tx.select().from(alerts).where(eq(alerts.id, alertId)).for("update");
    if (!alert) {
      log.warn({ alertId }, "push for an unknown alert; dropping");
      return;
    }
    if (alert.stage !== "received") {
      log.debug({ alertId, stage: alert.stage }, "alert already pushed");
      return;
    }
    const [rules, [dutyDesk]] = await Promise.all([
      tx.select().from(jurisdictionRules).where(eq(jurisdictionRules.stationId, alert.stationId)),
      tx
        .select({ id: posts.id })
        .from(posts)
        .where(and(eq(posts.stationId, alert.stationId), eq(posts.isDutyDesk, true)))
        .limit(1),
    ]);
    if (!dutyDesk) throw new Error(`station ${alert.stationId} has no duty desk to route to`);
    const route = chooseRoute(rules, dutyDesk.id, { code: alert.areaCode, address: alert.areaAddress });

    const onDuty = await tx
      .select({ id: officers.id, lastNotifiedAt: officers.lastNotifiedAt })
      .from(officers)
      .where(
        and(
          eq(officers.postId, route.postId),
          eq(officers.onDuty, true),
          isNull(officers.disabledAt),
          isNotNull(officers.phoneEnc),
        ),
      );

    const now = deps.clock.now();
    await queueSms(
      deps,
      tx,
      publish,
      [
        {
          purpose: "victim_warning",
          lane: "urgent",
          to: deps.pii.decrypt(alert.subjectPhoneEnc),
          body: victimWarningText(deps.config.SMS_SIGNATURE, alert.type),
          alertId,
          dedupeKey: alertId,
        },
      ],
      traceId,
    );
    await queueOfficerNotices(deps, tx, publish, { alertId, officers: onDuty, now, traceId });

    const deadline = nextDeadline(deps.config.deadlines, {
      stage: "pushed",
      riskLevel: alert.riskLevel,
      receivedAt: alert.receivedAt,
      contacted: false,
      visitOwedSince: null,
    });
    await tx
      .update(alerts)
      .set({
        stage: "pushed",
        postId: route.postId,
        routedBy: route.routedBy,
        pushedAt: now,
        deadlineKind: deadline?.kind ?? null,
        deadlineAt: deadline?.at ?? null,
        lastVictimWarningAt: now,
        lastVictimWarningRisk: alert.riskLevel,
      })
      .where(eq(alerts.id, alertId));
    await recordAlertEvent(tx, {
      alertId,
      kind: "pushed",
      at: now,
      data: { postId: route.postId, routedBy: route.routedBy, officersNotified: onDuty.length },
    });
    log.info(
      { alertId, postId: route.postId, routedBy: route.routedBy, officers: onDuty.length },
      "alert pushed",
    );
  });
}
