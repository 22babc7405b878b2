import { count, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, smsMessages, stations } from "../../schema";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { runQueueBatch } from "./support";

/** Posts `n` warnings for distinct subjects in one request; returns their alert ids in order. */
async function intake(ctx: TestContext, n: number): Promise<string[]> {
  const warnings = Array.from({ length: n }, (_, i) =>
    aWarning({ subject: { phone: `+86 139 ${String(5000 + i).padStart(8, "0")}` } }),
  );
  const res = await ctx.postWarnings({ warnings });
  const body = (await res.json()) as { results: { status: string; alertId: string }[] };
  expect(body.results.every((r) => r.status === "accepted")).toBe(true);
  return body.results.map((r) => r.alertId);
}

describe("alert.push in batches", () => {
  it("pushes every alert of a batch, each with its own route, SMS and timeline entry", async () => {
    const ctx = await createTestContext();
    const ids = await intake(ctx, 6);

    const { records, result } = await runQueueBatch(ctx, "alert-push");

    expect(records).toHaveLength(6);
    expect(result.failed).toEqual([]);
    const rows = await ctx.deps.db.select().from(alerts).where(inArray(alerts.id, ids));
    expect(rows.map((a) => a.stage)).toEqual(ids.map(() => "pushed"));
    expect(rows.every((a) => a.postId === ctx.fixture.ids.miaogong && a.deadlineAt !== null)).toBe(true);
    const [victimSms] = await ctx.deps.db
      .select({ n: count() })
      .from(smsMessages)
      .where(inArray(smsMessages.alertId, ids));
    expect(victimSms?.n).toBe(6);
    const events = await ctx.deps.db.select().from(alertEvents).where(inArray(alertEvents.alertId, ids));
    expect(
      events
        .filter((e) => e.kind === "pushed")
        .map((e) => e.alertId)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it("fails only the alert that cannot be pushed; the rest of its batch is pushed", async () => {
    const ctx = await createTestContext();
    const [first, broken, last] = (await intake(ctx, 3)) as [string, string, string];
    // A station without a duty desk: its alert has nowhere to fall back to.
    await ctx.deps.db.insert(stations).values({ id: "stn_nodesk", name: "无值班室派出所" });
    await ctx.deps.db.update(alerts).set({ stationId: "stn_nodesk" }).where(eq(alerts.id, broken));

    const { records, result } = await runQueueBatch(ctx, "alert-push");

    const brokenJob = records.find((r) => (r.body as { alertId: string }).alertId === broken);
    expect(result.failed).toEqual([
      { id: brokenJob?.id, error: "station stn_nodesk has no duty desk to route to" },
    ]);
    const stageOf = async (id: string) =>
      (await ctx.deps.db.select({ stage: alerts.stage }).from(alerts).where(eq(alerts.id, id)))[0]?.stage;
    expect(await stageOf(first)).toBe("pushed");
    expect(await stageOf(last)).toBe("pushed");
    expect(await stageOf(broken)).toBe("received");
    const sms = await ctx.deps.db
      .select({ alertId: smsMessages.alertId })
      .from(smsMessages)
      .where(eq(smsMessages.purpose, "victim_warning"));
    expect(sms.map((s) => s.alertId).sort()).toEqual([first, last].sort());
  });

  it("pushes an alert once when its message is in the batch twice (a redelivery)", async () => {
    const ctx = await createTestContext();
    const [id] = (await intake(ctx, 1)) as [string];
    await ctx.deps.queue.publish([
      { queue: "alert-push", message: { type: "alert.push", v: 1, alertId: id } },
    ]);

    const { records, result } = await runQueueBatch(ctx, "alert-push");

    expect(records).toHaveLength(2);
    expect(result.failed).toEqual([]);
    const sms = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, id));
    expect(sms.filter((s) => s.purpose === "victim_warning")).toHaveLength(1);
    const events = await ctx.deps.db.select().from(alertEvents).where(eq(alertEvents.alertId, id));
    expect(events.filter((e) => e.kind === "pushed")).toHaveLength(1);
  });
});
