import { and, eq, sql } from "drizzle-orm";
import { alerts, feedbackEvents, feedSources, warnings } from "../../schema";
import { recordFeedbackStep } from "../alerts/feedback-timeline";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import { newId } from "../ids";
import type { Log } from "../log";
import type { MessageOf } from "../queue/messages";
import { type Publish, transact } from "../queue/outbox";

type AlertRow = typeof alerts.$inferSelect;
type CreateDeps = Pick<Deps, "db" | "queue" | "clock">;

/**
 * The feedback.create consumer: the transaction that recorded a final outcome published this message
 * (src/alerts/verify.ts), and the alert's feedback events are created here. Idempotent: a redelivered
 * message, or one that arrives after the sweeper's createMissingFeedback, creates nothing twice
 * (createFeedbackEvents is unique per alert and source); an alert no longer `verified` was fed back, so its
 * events exist already.
 */
export async function createFeedbackForOutcome(
  deps: CreateDeps,
  message: Pick<MessageOf<"feedback.create">, "alertId" | "traceId">,
  log: Log,
): Promise<void> {
  const now = deps.clock.now();
  await transact(deps, (tx, publish) => createFeedbackInTransaction(tx, publish, message, now, log));
}

/**
 * The consumer's work in the caller's transaction: the queue's transaction above, or, in the local runtime,
 * the outcome's own (src/local/prompt.ts). The alert row is locked first, as everyone who locks an alert and
 * its feedback events does (src/feedback/settle.ts).
 */
export async function createFeedbackInTransaction(
  tx: Tx,
  publish: Publish,
  message: Pick<MessageOf<"feedback.create">, "alertId" | "traceId">,
  now: Date,
  log: Log,
): Promise<void> {
  // Issued together (the driver pipelines them): the sources do not depend on the lock.
  const [[alert], sources] = await Promise.all([
    tx.select().from(alerts).where(eq(alerts.id, message.alertId)).for("update"),
    sourcesOf(tx, message.alertId),
  ]);
  if (alert?.stage !== "verified") {
    log.debug({ alertId: message.alertId, stage: alert?.stage }, "alert not verified; no feedback to create");
    return;
  }
  await createFeedbackEvents(tx, publish, alert, now, message.traceId, sources);
}

/**
 * Verified alerts with a source that has no feedback event, a bounded batch (scheduled by the sweeper): the
 * outcome's feedback.create message creates them, so this finds what a lost message (an SQS send that
 * failed after commit) or a bug left behind. createFeedbackEvents is unique per alert and source, so
 * calling it again creates only what is missing. Rows are taken with FOR UPDATE SKIP LOCKED, so two sweeps
 * at once split them.
 */
export async function createMissingFeedback(deps: CreateDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  return transact(deps, async (tx, publish) => {
    const missing = await tx
      .select()
      .from(alerts)
      .where(
        and(
          eq(alerts.stage, "verified"),
          sql`exists (select 1 from ${warnings} where ${warnings.alertId} = ${alerts.id}
                and not exists (select 1 from ${feedbackEvents} where ${feedbackEvents.alertId} = ${alerts.id}
                                and ${feedbackEvents.sourceId} = ${warnings.sourceId}))`,
        ),
      )
      .limit(limit)
      .for("update", { skipLocked: true });
    for (const alert of missing) await createFeedbackEvents(tx, publish, alert, now);
    return missing.length;
  });
}

/**
 * One feedback event per source that sent a warning for this alert (unique per alert and source, so a
 * repeated call cannot create a second), in the caller's transaction, with the alert row locked. Sources
 * with a callback URL get a delivery job; the others find the event on their pull cursor.
 */
export async function createFeedbackEvents(
  tx: Tx,
  publish: Publish,
  alert: AlertRow,
  now: Date,
  traceId?: string,
  /** The alert's warnings with their sources (sourcesOf), when the caller has read them already. */
  sources?: Awaited<ReturnType<typeof sourcesOf>>,
): Promise<void> {
  const rows = sources ?? (await sourcesOf(tx, alert.id));
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
    await recordFeedbackStep(tx, {
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

/** The sources that sent a warning for the alert, one row per warning, oldest first. */
function sourcesOf(tx: Tx, alertId: string) {
  return (
    tx
      .select({
        sourceId: warnings.sourceId,
        externalId: warnings.externalId,
        callbackUrl: feedSources.callbackUrl,
      })
      .from(warnings)
      .innerJoin(feedSources, eq(feedSources.id, warnings.sourceId))
      .where(eq(warnings.alertId, alertId))
      // The first warning's id is the payload's externalId; create-statement.ts orders them alike.
      .orderBy(warnings.id)
  );
}

/**
 * What the source receives: enough to close its own case without another call. Amounts in fen. The statement
 * that closes an alert in the local runtime builds the same in SQL (./create-statement.ts).
 */
export function feedbackPayload(eventId: string, alert: AlertRow, externalIds: string[]) {
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
