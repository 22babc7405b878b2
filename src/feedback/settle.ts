import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { alerts, feedbackEvents } from "../../schema";
import { recordAlertEvent } from "../alerts/events";
import type { Tx } from "../db/client";

/**
 * Marks feedback events of one alert delivered (a callback was acknowledged, or the source pulled them)
 * and moves the alert to `fed_back` once none of its events is left undelivered.
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
  await tx.select({ id: alerts.id }).from(alerts).where(eq(alerts.id, input.alertId)).for("update");
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
  let fedBack = false;
  if (open?.n === 0) {
    const moved = await tx
      .update(alerts)
      .set({
        stage: "fed_back",
        fedBackAt: input.at,
        deadlineKind: null,
        deadlineAt: null,
        version: sql`${alerts.version} + 1`,
      })
      // Written so it cannot match the partial index alerts_stuck_verified_idx: with statistics gathered
      // while few alerts waited for feedback, the planner scans every verified alert in that index instead
      // of taking the primary key (seen with EXPLAIN after a callback outage left 20,000 verified).
      .where(and(eq(alerts.id, input.alertId), sql`(${alerts.stage} = 'verified') is true`))
      .returning({ id: alerts.id });
    fedBack = moved.length > 0;
  }
  for (const event of delivered) {
    await recordAlertEvent(tx, {
      alertId: input.alertId,
      kind: "feedback_delivered",
      at: input.at,
      data: {
        eventId: event.id,
        sourceId: event.sourceId,
        via: input.via,
        attempts: event.attempts,
        fedBack,
      },
    });
  }
  return { delivered: delivered.map((d) => d.id), fedBack };
}
