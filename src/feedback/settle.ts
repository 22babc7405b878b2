import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { feedbackEvents } from "../../schema";
import { lockAlertForFeedback, recordFeedbackDelivered } from "../alerts/fed-back";
import type { Tx } from "../db/client";

/**
 * Marks feedback events of one alert delivered (a callback was acknowledged, or the source pulled them)
 * and moves the alert to `fed_back` once none of its events is left undelivered (src/alerts/fed-back.ts).
 *
 * The alert row is locked first: two events of one alert delivered at once would otherwise each count the
 * other as still pending (neither commit visible to the other) and the alert would never reach fed_back.
 * Whoever locks both takes the alert first (outcome recording, the sweeper, this), so they cannot deadlock.
 */
export async function markDelivered(
  tx: Tx,
  input: {
    alertId: string;
    eventIds: string[];
    /** Which status the events must still have: a redelivered message or a repeated pull changes nothing. */
    from: "pending" | "pull";
    via: "callback" | "pull";
    at: Date;
  },
): Promise<{ delivered: string[]; fedBack: boolean }> {
  if (input.eventIds.length === 0) return { delivered: [], fedBack: false };
  const alert = await lockAlertForFeedback(tx, input.alertId);
  const delivered = await tx
    .update(feedbackEvents)
    .set({ status: "delivered", deliveredAt: input.at, nextAttemptAt: null, lastError: null })
    .where(
      and(
        inArray(feedbackEvents.id, input.eventIds),
        eq(feedbackEvents.alertId, input.alertId),
        eq(feedbackEvents.status, input.from),
      ),
    )
    .returning({
      id: feedbackEvents.id,
      sourceId: feedbackEvents.sourceId,
      attempts: feedbackEvents.attempts,
    });
  if (delivered.length === 0) return { delivered: [], fedBack: false };

  const [open] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(feedbackEvents)
    .where(and(eq(feedbackEvents.alertId, input.alertId), ne(feedbackEvents.status, "delivered")));
  const fedBack = await recordFeedbackDelivered(tx, alert, {
    alertId: input.alertId,
    events: delivered,
    allDelivered: open?.n === 0,
    via: input.via,
    at: input.at,
  });
  return { delivered: delivered.map((d) => d.id), fedBack };
}
