import { eq } from "drizzle-orm";
import { type alerts, feedbackEvents, feedSources, warnings } from "../../schema";
import { recordAlertEvent } from "../alerts/events";
import type { Tx } from "../db/client";
import { newId } from "../ids";
import type { Publish } from "../queue/outbox";

type AlertRow = typeof alerts.$inferSelect;

/**
 * Called in the transaction that records a final outcome: one feedback event per source that sent a
 * warning for this alert (unique per alert and source, so a retried outcome cannot create a second).
 * Sources with a callback URL get a delivery job; the others find the event on their pull cursor.
 */
export async function createFeedbackEvents(
  tx: Tx,
  publish: Publish,
  alert: AlertRow,
  now: Date,
  traceId?: string,
): Promise<void> {
  const rows = await tx
    .select({
      sourceId: warnings.sourceId,
      externalId: warnings.externalId,
      callbackUrl: feedSources.callbackUrl,
    })
    .from(warnings)
    .innerJoin(feedSources, eq(feedSources.id, warnings.sourceId))
    .where(eq(warnings.alertId, alert.id));
  const bySource = new Map<string, { externalIds: string[]; callbackUrl: string | null }>();
  for (const r of rows) {
    const entry = bySource.get(r.sourceId) ?? { externalIds: [], callbackUrl: r.callbackUrl };
    entry.externalIds.push(r.externalId);
    bySource.set(r.sourceId, entry);
  }
  for (const [sourceId, { externalIds, callbackUrl }] of bySource) {
    const eventId = newId("feedback");
    const [created] = await tx
      .insert(feedbackEvents)
      .values({
        id: eventId,
        alertId: alert.id,
        sourceId,
        payload: feedbackPayload(eventId, alert, externalIds),
        status: callbackUrl ? "pending" : "pull",
        nextAttemptAt: callbackUrl ? now : null,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: feedbackEvents.id });
    if (!created) continue;
    await recordAlertEvent(tx, {
      alertId: alert.id,
      kind: "feedback_queued",
      at: now,
      data: { eventId, sourceId },
    });
    if (callbackUrl) {
      publish({ queue: "feedback", message: { type: "feedback.deliver", v: 1, eventId, traceId } });
    }
  }
}

/** What the source receives: enough to close its own case without another call. Amounts in fen. */
function feedbackPayload(eventId: string, alert: AlertRow, externalIds: string[]) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    eventId,
    alertId: alert.id,
    externalId: externalIds[0],
    externalIds,
    outcome: alert.outcome,
    amountProtected: alert.amountProtected,
    amountLost: alert.amountLost,
    riskLevel: alert.riskLevel,
    stageTimes: {
      receivedAt: iso(alert.receivedAt),
      pushedAt: iso(alert.pushedAt),
      acknowledgedAt: iso(alert.acknowledgedAt),
      verifiedAt: iso(alert.verifiedAt),
    },
  };
}
