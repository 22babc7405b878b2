import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { alerts } from "../../schema";
import type { Tx } from "../db/client";
import { recordAlertEvents } from "./events";
import { type FeedbackState, feedBack } from "./workflow-system";

/**
 * Locks the alert rows and returns what the fed_back transition reads, by alert id. Whoever locks both an alert
 * and its feedback events takes the alert first (outcome recording, the sweeper, the feedback room settling
 * deliveries), so they cannot deadlock; several alerts are locked in id order, so two batches cannot either.
 * An alert that does not exist is absent from the map.
 */
export async function lockAlertsForFeedback(tx: Tx, alertIds: string[]): Promise<Map<string, FeedbackState>> {
  const rows = await tx
    .select({ id: alerts.id, stage: alerts.stage, version: alerts.version })
    .from(alerts)
    .where(inArray(alerts.id, alertIds))
    .orderBy(asc(alerts.id))
    .for("update");
  return new Map(rows.map(({ id, ...state }) => [id, state]));
}

/**
 * Feedback events were delivered (src/feedback/settle.ts), for one alert or several: each goes on the
 * timeline, and an alert none of whose events is left undelivered moves to `fed_back` (`feedBack` in
 * ./workflow-system.ts). `locked` is what lockAlertsForFeedback returned, taken before the events were
 * touched. Returns the alerts that were fed back.
 */
export async function recordFeedbackDelivered(
  tx: Tx,
  locked: Map<string, FeedbackState>,
  deliveries: {
    alertId: string;
    events: { id: string; sourceId: string; attempts: number }[];
    /** No event of the alert is left undelivered. */
    allDelivered: boolean;
  }[],
  via: "callback" | "pull",
  at: Date,
): Promise<Set<string>> {
  const fedBack = new Set<string>();
  // One statement per alert moved, issued together: the driver pipelines them in one round trip.
  await Promise.all(
    deliveries.map(async ({ alertId, allDelivered }) => {
      const alert = locked.get(alertId);
      const decision = alert && allDelivered ? feedBack(alert, at) : { changed: false as const };
      if (!decision.changed) return;
      const moved = await tx
        .update(alerts)
        .set(decision.changes)
        // Written so it cannot match the partial index alerts_stuck_verified_idx: with statistics gathered
        // while few alerts waited for feedback, the planner scans every verified alert in that index instead
        // of taking the primary key (seen with EXPLAIN after a callback outage left 20,000 verified).
        .where(and(eq(alerts.id, alertId), sql`(${alerts.stage} = 'verified') is true`))
        .returning({ id: alerts.id });
      if (moved.length > 0) fedBack.add(alertId);
    }),
  );
  await recordAlertEvents(
    tx,
    deliveries.flatMap(({ alertId, events }) =>
      events.map((event) => ({
        alertId,
        kind: "feedback_delivered" as const,
        at,
        data: {
          eventId: event.id,
          sourceId: event.sourceId,
          via,
          attempts: event.attempts,
          fedBack: fedBack.has(alertId),
        },
      })),
    ),
  );
  return fedBack;
}
