import { and, asc, eq, sql } from "drizzle-orm";
import { alertEvents, alerts, feedbackEvents, feedSources, jobs, type Outcome } from "../../schema";
import { createFeedbackEvents } from "../../src/feedback/create";
import { transact } from "../../src/queue/outbox";
import { givenPushedAlert } from "./alerts";
import type { TestContext } from "./context";

export const CALLBACK_URL = "https://platform.example.test/antifraud/feedback";

export async function setCallbackUrl(ctx: TestContext, url: string | null, sourceId = ctx.fixture.source.id) {
  await ctx.deps.db.update(feedSources).set({ callbackUrl: url }).where(eq(feedSources.id, sourceId));
}

/**
 * Closes a pushed alert with a final outcome the way the outcome transaction does — a conditional update to
 * `verified` and createFeedbackEvents in one transaction — without going through the officer routes, so
 * feedback can be tested on its own. Nothing is delivered until the test drains the queues.
 */
export async function closeWithOutcome(
  ctx: TestContext,
  alertId: string,
  outcome: { outcome?: Outcome; amountProtected?: number | null; amountLost?: number | null } = {},
): Promise<string[]> {
  const now = ctx.deps.clock.now();
  await transact(ctx.deps, async (tx, publish) => {
    const [closed] = await tx
      .update(alerts)
      .set({
        stage: "verified",
        acknowledgedAt: now,
        acknowledgedBy: "off_miaogong",
        verifiedAt: now,
        verifiedBy: "off_miaogong",
        outcome: outcome.outcome ?? "dissuaded",
        amountProtected: outcome.amountProtected === undefined ? 5_000_000 : outcome.amountProtected,
        amountLost: outcome.amountLost ?? null,
        deadlineKind: null,
        deadlineAt: null,
        version: sql`${alerts.version} + 1`,
      })
      .where(and(eq(alerts.id, alertId), eq(alerts.stage, "pushed")))
      .returning();
    if (!closed) throw new Error(`alert ${alertId} is not pushed`);
    await createFeedbackEvents(tx, publish, closed, now);
  });
  const events = await ctx.deps.db
    .select({ id: feedbackEvents.id })
    .from(feedbackEvents)
    .where(eq(feedbackEvents.alertId, alertId))
    .orderBy(asc(feedbackEvents.seq));
  return events.map((e) => e.id);
}

/** A pushed alert closed as `dissuaded`; returns its id and its (single-source) feedback event id. */
export async function givenVerifiedAlert(ctx: TestContext, overrides: Record<string, unknown> = {}) {
  const alertId = await givenPushedAlert(ctx, overrides);
  const [eventId] = await closeWithOutcome(ctx, alertId);
  return { alertId, eventId: eventId as string };
}

export async function feedbackEvent(ctx: TestContext, eventId: string) {
  const [row] = await ctx.deps.db.select().from(feedbackEvents).where(eq(feedbackEvents.id, eventId));
  if (!row) throw new Error(`no feedback event ${eventId}`);
  return row;
}

export async function alertRow(ctx: TestContext, alertId: string) {
  const [row] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  if (!row) throw new Error(`no alert ${alertId}`);
  return row;
}

export async function timelineKinds(ctx: TestContext, alertId: string): Promise<string[]> {
  const rows = await ctx.deps.db
    .select({ kind: alertEvents.kind })
    .from(alertEvents)
    .where(eq(alertEvents.alertId, alertId))
    .orderBy(asc(alertEvents.id));
  return rows.map((r) => r.kind);
}

/** Jobs waiting in a queue, with how far in the future (seconds, by the database clock) they become visible. */
export async function queuedJobs(ctx: TestContext, queue: string) {
  const rows = await ctx.deps.db
    .select({
      payload: jobs.payload,
      delaySeconds: sql<number>`extract(epoch from ${jobs.visibleAt} - now())::float8`,
    })
    .from(jobs)
    .where(eq(jobs.queue, queue))
    .orderBy(asc(jobs.id));
  return rows.map((r) => ({
    payload: r.payload as Record<string, unknown>,
    delaySeconds: Number(r.delaySeconds),
  }));
}

/**
 * Delayed jobs wait by the database's clock, which a test cannot move; the application reads its own clock
 * (ManualClock). After moving the ManualClock, this makes the delayed jobs visible, as time would have.
 */
export async function releaseDelayedJobs(ctx: TestContext): Promise<void> {
  await ctx.deps.db.update(jobs).set({ visibleAt: sql`now()` });
}
