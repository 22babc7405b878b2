import { and, eq, sql } from "drizzle-orm";
import { alerts } from "../../schema";
import type { Tx } from "../db/client";
import { recordAlertEvent } from "./events";
import { type FeedbackState, feedBack } from "./workflow-system";

/**
 * Locks the alert row and returns what the fed_back transition reads. Whoever locks both an alert and its
 * feedback events takes the alert first (outcome recording, the sweeper, the feedback room settling a
 * delivery), so they cannot deadlock. Undefined for an alert that does not exist.
 */
export async function lockAlertForFeedback(tx: Tx, alertId: string): Promise<FeedbackState | undefined> {
  const [row] = await tx
    .select({ stage: alerts.stage, version: alerts.version })
    .from(alerts)
    .where(eq(alerts.id, alertId))
    .for("update");
  return row;
}

/**
 * Feedback events of one alert were delivered (src/feedback/settle.ts): each goes on the timeline, and once
 * none of the alert's events is left undelivered the alert moves to `fed_back` (`feedBack` in
 * ./workflow-system.ts). `alert` is what lockAlertForFeedback returned, taken before the events were touched.
 * Returns whether the alert was fed back.
 */
export async function recordFeedbackDelivered(
  tx: Tx,
  alert: FeedbackState | undefined,
  input: {
    alertId: string;
    events: { id: string; sourceId: string; attempts: number }[];
    /** No event of the alert is left undelivered. */
    allDelivered: boolean;
    via: "callback" | "pull";
    at: Date;
  },
): Promise<boolean> {
  let fedBack = false;
  const decision = alert && input.allDelivered ? feedBack(alert, input.at) : { changed: false as const };
  if (decision.changed) {
    const moved = await tx
      .update(alerts)
      .set(decision.changes)
      // Written so it cannot match the partial index alerts_stuck_verified_idx: with statistics gathered
      // while few alerts waited for feedback, the planner scans every verified alert in that index instead
      // of taking the primary key (seen with EXPLAIN after a callback outage left 20,000 verified).
      .where(and(eq(alerts.id, input.alertId), sql`(${alerts.stage} = 'verified') is true`))
      .returning({ id: alerts.id });
    fedBack = moved.length > 0;
  }
  for (const event of input.events) {
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
  return fedBack;
}
