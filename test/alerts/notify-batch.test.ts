import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { officers } from "../../schema";
import { createTestContext, type TestContext } from "../support/context";
import { alertsFor, anOfficer, drainQueues, jobsIn, runQueueBatch, smsTo } from "./support";

/** Critical alerts pushed in separate batches, so each push leaves its own officer.notify job. */
async function criticalAlertsPushedApart(ctx: TestContext, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(...(await alertsFor(ctx, { riskLevel: "critical" })));
    await drainQueues(ctx, ["alert-push"]);
  }
  return ids;
}

describe("officer.notify in batches", () => {
  it("pages each critical alert once when one batch holds several flushes for the same officers", async () => {
    const ctx = await createTestContext();
    const second = await anOfficer(ctx, "off_second");
    const ids = await criticalAlertsPushedApart(ctx, 3);

    const { records, result } = await runQueueBatch(ctx, "officer-notify");

    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(result.failed).toEqual([]);
    for (const phone of [ctx.fixture.phones.miaogong, second.phone as string]) {
      const paged = await smsTo(ctx, phone);
      expect(paged.map((s) => s.alertId).sort()).toEqual([...ids].sort());
    }
    expect(await jobsIn(ctx.deps, "officer-notify")).toEqual([]);
  });

  it("retries every message of an officer whose flush fails, and pages the other officer", async () => {
    const ctx = await createTestContext();
    const second = await anOfficer(ctx, "off_second");
    const ids = await criticalAlertsPushedApart(ctx, 2);
    // A phone that no longer decrypts (a rotated key): this officer's flush throws.
    await ctx.deps.db.update(officers).set({ phoneEnc: "v1:broken" }).where(eq(officers.id, "off_second"));

    const { records, result } = await runQueueBatch(ctx, "officer-notify");

    const secondsJobs = records
      .filter((r) => (r.body as { officerId: string }).officerId === "off_second")
      .map((r) => r.id);
    expect(secondsJobs).toHaveLength(2);
    expect(result.failed.map((f) => f.id).sort()).toEqual([...secondsJobs].sort());
    expect(await smsTo(ctx, second.phone as string)).toEqual([]);
    const paged = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(paged.map((s) => s.alertId).sort()).toEqual([...ids].sort());
  });
});
