import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, feedbackEvents, warnings } from "../../schema";
import { acknowledgeAlert, recordOutcome } from "../../src/alerts/verify";
import { queryRows } from "../../src/db/client";
import { newId } from "../../src/ids";
import { principalOf } from "../support/access";
import { aSubjectPhone } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { about, drainQueues, post } from "./support";

/**
 * An outcome is one statement (src/alerts/officer-step.ts), and one statement sees the database as it was
 * when it began: these hold a write to the alert open on another connection while the outcome waits for the
 * row, then commit it. PostgreSQL only (vitest.config.ts): PGlite's one connection cannot hold two at once.
 */

async function acknowledgedAlert(ctx: TestContext, phone: string) {
  const [first] = await post(ctx, about(phone));
  const alertId = first?.alertId as string;
  await drainQueues(ctx, ["alert-push"]);
  await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
  return alertId;
}

/** Runs `write` in a transaction that stays open until the returned commit() is called. */
function heldOpen(
  ctx: TestContext,
  write: (tx: Parameters<Parameters<TestContext["deps"]["db"]["transaction"]>[0]>[0]) => Promise<void>,
) {
  let commit = () => {};
  let written: () => void = () => {};
  const isWritten = new Promise<void>((resolve) => {
    written = resolve;
  });
  const released = new Promise<void>((resolve) => {
    commit = resolve;
  });
  const done = ctx.deps.db.transaction(async (tx) => {
    await write(tx);
    written();
    await released;
  });
  return { isWritten, commit, done };
}

const xminOf = async (ctx: TestContext, alertId: string) =>
  (
    await queryRows<{ xmin: string }>(
      ctx.deps.db,
      sql`select xmin::text as xmin from alerts where id = ${alertId}`,
    )
  )[0]?.xmin;

describe("recording an outcome while something else writes the alert", () => {
  it("puts a warning that joined the case while the outcome waited into the feedback", async () => {
    const ctx = await createTestContext();
    const alertId = await acknowledgedAlert(ctx, aSubjectPhone());
    // What intake does when a repeated warning joins the case (src/alerts/intake.ts): lock the open alert,
    // add the warning, write the alert row.
    const link = heldOpen(ctx, async (tx) => {
      await tx.select({ id: alerts.id }).from(alerts).where(eq(alerts.id, alertId)).for("update");
      await tx.insert(warnings).values({
        id: newId("warning"),
        sourceId: ctx.fixture.source.id,
        externalId: "joined-while-closing",
        alertId,
        type: "call",
        fraudType: "fake_customer_service",
        riskLevel: "high",
        indicators: [],
        detectedAt: new Date(),
        receivedAt: new Date(),
      });
      await tx
        .update(alerts)
        .set({ amountAtRisk: sql`${alerts.amountAtRisk}` })
        .where(eq(alerts.id, alertId));
    });
    await link.isWritten;

    const recording = recordOutcome(ctx.deps, principalOf(ctx), alertId, { outcome: "dissuaded" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    link.commit();
    await link.done;
    const result = await recording;

    expect(result.alert.stage).toBe("verified");
    const [event] = await ctx.deps.db
      .select()
      .from(feedbackEvents)
      .where(eq(feedbackEvents.alertId, alertId));
    expect(event?.payload.externalIds).toContain("joined-while-closing");
    expect(event?.payload.externalIds).toHaveLength(2);
  });

  it("records the outcome over an escalation that committed while it waited, keeping the raised level", async () => {
    const ctx = await createTestContext();
    const alertId = await acknowledgedAlert(ctx, aSubjectPhone());
    const escalation = heldOpen(ctx, async (tx) => {
      await tx
        .update(alerts)
        .set({ escalated: true, escalationCount: 1, riskLevel: "critical" })
        .where(eq(alerts.id, alertId));
    });
    await escalation.isWritten;

    const recording = recordOutcome(ctx.deps, principalOf(ctx), alertId, { outcome: "dissuaded" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    escalation.commit();
    await escalation.done;
    const result = await recording;

    expect(result).toMatchObject({
      changed: true,
      alert: { stage: "verified", riskLevel: "critical", escalated: true },
    });
    const [event] = await ctx.deps.db
      .select()
      .from(feedbackEvents)
      .where(eq(feedbackEvents.alertId, alertId));
    expect(event?.payload.riskLevel).toBe("critical");
  });
});

describe("a warning joining an open case", () => {
  it("writes the alert row even when the case's facts stay as they were, so a waiting outcome sees it", async () => {
    const ctx = await createTestContext();
    const phone = aSubjectPhone();
    const alertId = await acknowledgedAlert(ctx, phone);
    const before = await xminOf(ctx, alertId);

    const [second] = await post(ctx, about(phone));

    expect(second).toMatchObject({ alertId, linked: true });
    expect(await xminOf(ctx, alertId)).not.toBe(before);
  });
});
