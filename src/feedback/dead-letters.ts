import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import { alerts, auditLog, feedbackEvents, feedSources } from "../../schema";
import { recordFeedbackStep } from "../alerts/feedback-timeline";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor } from "../pagination";
import { transact } from "../queue/outbox";

/** Dead letters are the station's business: supervisors watch them, admins fix the receivers' URLs. */
const assertMayManage = (principal: Principal) =>
  assertSupervisorOrAdmin(principal, "dead-lettered feedback is for supervisors and admins");

export interface DeadLetter {
  eventId: string;
  alertId: string;
  sourceId: string;
  externalId: string | null;
  outcome: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deadAt: Date | null;
}

/** The station's dead-lettered callbacks, newest first. Ids, outcome and error only: no personal data. */
export async function listDeadLetters(
  deps: Pick<Deps, "db">,
  principal: Principal,
  query: { limit: number; cursor?: string },
): Promise<{ deadLetters: DeadLetter[]; nextCursor: string | null }> {
  assertMayManage(principal);
  const filters: SQL[] = [eq(feedbackEvents.status, "dead"), eq(alerts.stationId, principal.stationId)];
  if (query.cursor) {
    const seq = decodeCursor(query.cursor, (v) =>
      typeof v === "object" && v !== null && Number.isSafeInteger((v as { seq?: unknown }).seq)
        ? (v as { seq: number }).seq
        : undefined,
    );
    filters.push(lt(feedbackEvents.seq, seq));
  }
  const rows = await deps.db
    .select({
      seq: feedbackEvents.seq,
      eventId: feedbackEvents.id,
      alertId: feedbackEvents.alertId,
      sourceId: feedbackEvents.sourceId,
      externalId: sql<string | null>`${feedbackEvents.payload}->>'externalId'`,
      outcome: sql<string | null>`${feedbackEvents.payload}->>'outcome'`,
      attempts: feedbackEvents.attempts,
      lastError: feedbackEvents.lastError,
      createdAt: feedbackEvents.createdAt,
      deadAt: feedbackEvents.deadAt,
    })
    .from(feedbackEvents)
    .innerJoin(alerts, eq(alerts.id, feedbackEvents.alertId))
    .where(and(...filters))
    .orderBy(desc(feedbackEvents.seq))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    deadLetters: page.map(({ seq: _seq, ...letter }) => letter),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ seq: last.seq }) : null,
  };
}

/**
 * Gives a dead-lettered callback a fresh start: pending, no attempts, due now, with a full retry window
 * (counted from this re-drive, which the timeline records). A source that has since dropped its callback URL
 * gets the event on its pull cursor instead. Audited; another station's event is a 404.
 */
export async function redriveDeadLetter(
  deps: Pick<Deps, "db" | "queue" | "clock">,
  principal: Principal,
  eventId: string,
  input: { reason?: string },
): Promise<{ eventId: string; status: "pending" | "pull" }> {
  assertMayManage(principal);
  const now = deps.clock.now();
  return transact(deps, async (tx, publish) => {
    const [event] = await tx
      .select({
        id: feedbackEvents.id,
        alertId: feedbackEvents.alertId,
        sourceId: feedbackEvents.sourceId,
        status: feedbackEvents.status,
        attempts: feedbackEvents.attempts,
        lastError: feedbackEvents.lastError,
        stationId: alerts.stationId,
        callbackUrl: feedSources.callbackUrl,
      })
      .from(feedbackEvents)
      .innerJoin(alerts, eq(alerts.id, feedbackEvents.alertId))
      .innerJoin(feedSources, eq(feedSources.id, feedbackEvents.sourceId))
      .where(eq(feedbackEvents.id, eventId));
    if (!event || event.stationId !== principal.stationId) {
      throw new AppError("NOT_FOUND", "no such dead letter");
    }
    const status = event.callbackUrl ? "pending" : "pull";
    const [reset] = await tx
      .update(feedbackEvents)
      .set({
        status,
        attempts: 0,
        nextAttemptAt: event.callbackUrl ? now : null,
        deadAt: null,
        lastError: null,
      })
      .where(and(eq(feedbackEvents.id, eventId), eq(feedbackEvents.status, "dead")))
      .returning({ id: feedbackEvents.id });
    if (!reset) {
      throw new AppError("CONFLICT", `only a dead letter can be re-driven; this event is ${event.status}`);
    }
    const record = {
      eventId,
      sourceId: event.sourceId,
      previousAttempts: event.attempts,
      previousError: event.lastError,
      status,
    };
    await recordFeedbackStep(tx, {
      alertId: event.alertId,
      kind: "feedback_redriven",
      at: now,
      officerId: principal.officerId,
      data: { ...record, reason: input.reason ?? null },
    });
    await tx.insert(auditLog).values({
      stationId: event.stationId,
      officerId: principal.officerId,
      action: "feedback.redrive",
      targetType: "feedback_event",
      targetId: eventId,
      reason: input.reason ?? null,
      data: { alertId: event.alertId, ...record },
      at: now,
    });
    if (status === "pending") {
      publish({ queue: "feedback", message: { type: "feedback.deliver", v: 1, eventId } });
    }
    return { eventId, status };
  });
}
