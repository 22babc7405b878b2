import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, feedbackEvents, feedSources, jobs, warnings } from "../../schema";
import { acknowledgeAlert, recordOutcome } from "../../src/alerts/verify";
import { feedbackPayload } from "../../src/feedback/create";
import { MessageSchema } from "../../src/queue/messages";
import { about, drainQueues, post } from "../alerts/support";
import { principalOf } from "../support/access";
import { aSubjectPhone } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";

/**
 * In the local runtime the outcome's own statement creates the feedback (src/feedback/create-statement.ts),
 * in SQL; the queue consumer and the sweeper create it in TypeScript (createFeedbackEvents). A source must
 * not be able to tell which one ran.
 */

async function closedCase(ctx: TestContext) {
  const phone = aSubjectPhone();
  const [first] = await post(ctx, about(phone, { amountAtRisk: 120_000 }));
  const alertId = first?.alertId as string;
  await post(ctx, about(phone));
  await drainQueues(ctx, ["alert-push"]);
  await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
  await recordOutcome(ctx.deps, principalOf(ctx), alertId, {
    outcome: "already_defrauded",
    amountLost: 30_000,
  });
  return alertId;
}

describe("feedback created with the outcome's statement", () => {
  it("carries the payload createFeedbackEvents would write, oldest warning first", async () => {
    const ctx = await createTestContext();
    const alertId = await closedCase(ctx);

    const [alert] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    const externalIds = (
      await ctx.deps.db
        .select({ externalId: warnings.externalId })
        .from(warnings)
        .where(eq(warnings.alertId, alertId))
        .orderBy(asc(warnings.id))
    ).map((w) => w.externalId);
    const events = await ctx.deps.db.select().from(feedbackEvents).where(eq(feedbackEvents.alertId, alertId));

    expect(externalIds).toHaveLength(2);
    expect(events).toHaveLength(1);
    const event = events[0] as (typeof events)[number];
    expect(event.id).toMatch(/^fbk_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(event.payload).toEqual(
      feedbackPayload(event.id, alert as typeof alerts.$inferSelect, externalIds),
    );
    // The fixture's source has no callback URL: it pulls, and no delivery is queued.
    expect(event).toMatchObject({ status: "pull", sourceId: ctx.fixture.source.id, nextAttemptAt: null });
    expect(await ctx.deps.db.select().from(jobs).where(eq(jobs.queue, "feedback"))).toEqual([]);
  });

  it("queues its delivery as a well-formed message and puts it on the timeline after the outcome", async () => {
    const ctx = await createTestContext();
    await ctx.deps.db
      .update(feedSources)
      .set({ callbackUrl: "https://bank.example/feedback" })
      .where(eq(feedSources.id, ctx.fixture.source.id));
    const alertId = await closedCase(ctx);
    const [event] = await ctx.deps.db
      .select()
      .from(feedbackEvents)
      .where(eq(feedbackEvents.alertId, alertId));

    const queued = await ctx.deps.db.select().from(jobs).where(eq(jobs.queue, "feedback"));
    const timeline = await ctx.deps.db
      .select({ kind: alertEvents.kind, data: alertEvents.data })
      .from(alertEvents)
      .where(eq(alertEvents.alertId, alertId))
      .orderBy(asc(alertEvents.id));

    expect(event).toMatchObject({ status: "pending", nextAttemptAt: expect.any(Date) });
    expect(queued.map((j) => MessageSchema.parse(j.payload))).toEqual([
      { type: "feedback.deliver", v: 1, eventId: event?.id },
    ]);
    expect(timeline.map((e) => e.kind).slice(-2)).toEqual(["outcome_recorded", "feedback_queued"]);
    expect(timeline.at(-1)?.data).toEqual({ eventId: event?.id, sourceId: ctx.fixture.source.id });
  });
});
