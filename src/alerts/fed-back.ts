import { and, asc, inArray, sql } from "drizzle-orm";
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
  const moves = deliveries.flatMap(({ alertId, allDelivered }) => {
    const alert = locked.get(alertId);
    const decision = alert && allDelivered ? feedBack(alert, at) : { changed: false as const };
    return decision.changed ? [{ alertId, changes: decision.changes }] : [];
  });
  // The state machine decides each alert; alike decisions (all but the version: the same instant, the same
  // stage) are written in one statement, each alert given its own version.
  const alike = new Map<string, typeof moves>();
  for (const move of moves) {
    const { version: _, ...rest } = move.changes;
    const key = JSON.stringify(rest);
    alike.set(key, [...(alike.get(key) ?? []), move]);
  }
  for (const group of alike.values()) {
    const { version: _, ...common } = (group[0] as (typeof group)[0]).changes;
    const moved = await tx
      .update(alerts)
      .set({
        ...common,
        version: sql`case ${alerts.id} ${sql.join(
          group.map((m) => sql`when ${m.alertId} then ${m.changes.version}::int`),
          sql` `,
        )} end`,
      })
      // Written so it cannot match the partial index alerts_stuck_verified_idx: with statistics gathered
      // while few alerts waited for feedback, the planner scans every verified alert in that index instead
      // of taking the primary key (seen with EXPLAIN after a callback outage left 20,000 verified).
      .where(
        and(
          inArray(
            alerts.id,
            group.map((m) => m.alertId),
          ),
          sql`(${alerts.stage} = 'verified') is true`,
        ),
      )
      .returning({ id: alerts.id });
    for (const { id } of moved) fedBack.add(id);
  }
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
