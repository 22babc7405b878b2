import { and, asc, eq, inArray, isNull, lt, or } from "drizzle-orm";
import { feedbackEvents } from "../../schema";
import type { Deps } from "../deps";
import { transact } from "../queue/outbox";
import { feedbackLeaseMs } from "./deliver";

type RedriveDeps = Pick<Deps, "db" | "queue" | "clock" | "config">;

/**
 * Pending feedback whose next attempt is overdue by more than a delivery lease, a bounded batch (scheduled
 * by the sweeper): its message was lost (or its worker died mid-POST). Moving `next_attempt_at` to now makes
 * the event claimable at once and keeps the next sweep from re-driving it again until another lease has
 * passed. Rows are taken with FOR UPDATE SKIP LOCKED, so two sweeps at once split them.
 */
export async function redriveStalledFeedback(deps: RedriveDeps, limit: number): Promise<number> {
  const now = deps.clock.now();
  const stalledBefore = new Date(now.getTime() - feedbackLeaseMs(deps.config));
  return transact(deps, async (tx, publish) => {
    const stalled = await tx
      .select({ id: feedbackEvents.id })
      .from(feedbackEvents)
      .where(
        and(
          eq(feedbackEvents.status, "pending"),
          or(isNull(feedbackEvents.nextAttemptAt), lt(feedbackEvents.nextAttemptAt, stalledBefore)),
        ),
      )
      .orderBy(asc(feedbackEvents.nextAttemptAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    if (stalled.length === 0) return 0;
    const ids = stalled.map((s) => s.id);
    await tx.update(feedbackEvents).set({ nextAttemptAt: now }).where(inArray(feedbackEvents.id, ids));
    publish(
      ...ids.map((eventId) => ({
        queue: "feedback" as const,
        message: { type: "feedback.deliver" as const, v: 1 as const, eventId },
      })),
    );
    return ids.length;
  });
}
