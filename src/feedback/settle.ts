import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { feedbackEvents } from "../../schema";
import { lockAlertsForFeedback, recordFeedbackDelivered } from "../alerts/fed-back";
import type { Tx } from "../db/client";

interface Delivery {
  /** Which status the events must still have: a redelivered message or a repeated pull changes nothing. */
  from: "pending" | "pull";
  via: "callback" | "pull";
  at: Date;
}

/**
 * Marks feedback events of one alert delivered (a callback was acknowledged, or the source pulled them)
 * and moves the alert to `fed_back` once none of its events is left undelivered (src/alerts/fed-back.ts).
 */
export async function markDelivered(
  tx: Tx,
  input: Delivery & { alertId: string; eventIds: string[] },
): Promise<{ delivered: string[]; fedBack: boolean }> {
  const result = await markDeliveredMany(tx, [{ alertId: input.alertId, eventIds: input.eventIds }], input);
  return { delivered: result.delivered, fedBack: result.fedBack.has(input.alertId) };
}

/**
 * markDelivered for the events of several alerts at once (a batch of callbacks), in a fixed number of
 * statements whatever their number.
 *
 * The alert rows are locked first: two events of one alert delivered at once would otherwise each count the
 * other as still pending (neither commit visible to the other) and the alert would never reach fed_back.
 * Whoever locks both takes the alert first (outcome recording, the sweeper, this), so they cannot deadlock.
 */
export async function markDeliveredMany(
  tx: Tx,
  items: { alertId: string; eventIds: string[] }[],
  input: Delivery,
): Promise<{ delivered: string[]; fedBack: Set<string> }> {
  const wanted = items.filter((item) => item.eventIds.length > 0);
  if (wanted.length === 0) return { delivered: [], fedBack: new Set() };
  const alertIds = [...new Set(wanted.map((item) => item.alertId))];
  const locked = await lockAlertsForFeedback(tx, alertIds);
  const delivered = await tx
    .update(feedbackEvents)
    .set({ status: "delivered", deliveredAt: input.at, nextAttemptAt: null, lastError: null })
    .where(
      and(
        inArray(
          feedbackEvents.id,
          wanted.flatMap((item) => item.eventIds),
        ),
        // Only events of the alerts locked above.
        inArray(feedbackEvents.alertId, alertIds),
        eq(feedbackEvents.status, input.from),
      ),
    )
    .returning({
      id: feedbackEvents.id,
      alertId: feedbackEvents.alertId,
      sourceId: feedbackEvents.sourceId,
      attempts: feedbackEvents.attempts,
    });
  if (delivered.length === 0) return { delivered: [], fedBack: new Set() };

  const touched = [...new Set(delivered.map((d) => d.alertId))];
  const open = await tx
    .select({ alertId: feedbackEvents.alertId, n: sql<number>`count(*)::int` })
    .from(feedbackEvents)
    .where(and(inArray(feedbackEvents.alertId, touched), ne(feedbackEvents.status, "delivered")))
    .groupBy(feedbackEvents.alertId);
  const stillOpen = new Set(open.filter((o) => Number(o.n) > 0).map((o) => o.alertId));
  const fedBack = await recordFeedbackDelivered(
    tx,
    locked,
    touched.map((alertId) => ({
      alertId,
      events: delivered.filter((d) => d.alertId === alertId),
      allDelivered: !stillOpen.has(alertId),
    })),
    input.via,
    input.at,
  );
  return { delivered: delivered.map((d) => d.id), fedBack };
}
