import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, smsMessages } from "../../schema";
import type { AlertView } from "../../src/alerts/view";
import { anEvent, decide, parcelContext } from "../parcels/support";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { aPartner } from "../support/partners";

type Results = {
  results: { status: string; alertId?: string; errors?: { path: string; message: string }[] }[];
};

async function accept(
  ctx: TestContext,
  phone: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject: { phone }, ...overrides })] });
  const { results } = (await res.json()) as Results;
  expect(results[0]?.status).toBe("accepted");
  return results[0]?.alertId as string;
}

async function victimWarnings(ctx: TestContext, alertId: string) {
  return ctx.deps.db
    .select()
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));
}

describe("a warning whose subject is not a mainland mobile", () => {
  it.each([
    ["a Beijing landline", "+86 10 6954 1234", "landline", "固定电话"],
    ["a foreign mobile", "+1 415 555 2671", "foreign", "境外号码"],
    ["a Hong Kong mobile", "+852 9123 4567", "foreign", "境外号码"],
  ])(
    "is stored and routed to officers, sends the subject no SMS, and tells the officers why (%s)",
    async (_, phone, numberKind, shown) => {
      const ctx = await createTestContext();
      const alertId = await accept(ctx, phone);

      await ctx.drain();

      expect(await victimWarnings(ctx, alertId)).toEqual([]);
      const token = await ctx.login("miaogong");
      const res = await ctx.app.request(`/v1/alerts/${alertId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const view = (await res.json()) as AlertView;
      expect(view.stage).toBe("pushed");
      expect(view.postId).toBe(ctx.fixture.ids.miaogong);
      expect(view.messages.map((m) => m.purpose)).toEqual(["officer_notification"]);
      expect(view.timeline.map((e) => e.kind)).toEqual(["pushed", "victim_warning_skipped"]);
      expect(view.timeline[1]?.data).toEqual({ reason: "not_mobile", numberKind });

      const page = await ctx.app.request(`/console/alerts/${alertId}`, {
        headers: { cookie: `af_session=${token}` },
      });
      const html = await page.text();
      expect(html).toContain("未发预警短信：非大陆手机号");
      expect(html).toContain(shown);
    },
  );

  it("is not texted when a later warning joins its alert either", async () => {
    const ctx = await createTestContext();
    const alertId = await accept(ctx, "+86 10 6954 1234");
    await ctx.drain();

    const linked = await accept(ctx, "+86 10 6954 1234", { type: "funds", riskLevel: "critical" });
    await ctx.drain();

    expect(linked).toBe(alertId);
    expect(await victimWarnings(ctx, alertId)).toEqual([]);
  });

  it("leaves mainland mobiles warned as before", async () => {
    const ctx = await createTestContext();
    const alertId = await accept(ctx, "+86 139 0013 9000");

    await ctx.drain();

    expect(await victimWarnings(ctx, alertId)).toHaveLength(1);
    const skipped = await ctx.deps.db
      .select()
      .from(alertEvents)
      .where(and(eq(alertEvents.alertId, alertId), eq(alertEvents.kind, "victim_warning_skipped")));
    expect(skipped).toEqual([]);
  });
});

describe("dates on input", () => {
  it("rejects a warning detected in an impossible year or ahead of the server clock, naming detectedAt", async () => {
    const clock = new ManualClock("2026-11-28T02:00:00Z");
    const ctx = await createTestContext({ clock });

    const res = await ctx.postWarnings({
      warnings: [
        aWarning({ detectedAt: "0001-01-01T00:00:00Z" }),
        aWarning({ detectedAt: "9999-12-31T23:59:59+08:00" }),
        aWarning({ detectedAt: "2026-11-28T02:10:00Z" }),
        aWarning({ detectedAt: "2025-11-01T00:00:00Z" }),
        aWarning({ detectedAt: "2026-11-28T02:02:00Z", subject: { phone: "+86 139 0013 9001" } }),
        aWarning({ detectedAt: "2026-11-20T00:00:00Z", subject: { phone: "+86 139 0013 9002" } }),
      ],
    });

    expect(res.status).toBe(202);
    const { results } = (await res.json()) as Results;
    expect(results.map((r) => r.status)).toEqual([
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "accepted",
      "accepted",
    ]);
    for (const r of results.slice(0, 4)) expect(r.errors?.map((e) => e.path)).toEqual(["detectedAt"]);
    expect(results[2]?.errors?.[0]?.message).toMatch(/ahead of the server clock/);
    expect(results[3]?.errors?.[0]?.message).toMatch(/366 days in the past/);
  });

  it("rejects a parcel event from an impossible year, naming occurredAt, and decides the others", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx, { channel: "attach" });

    const results = await decide(ctx, partner, [
      anEvent({ occurredAt: "0001-01-01T00:00:00Z" }),
      anEvent({ occurredAt: "9999-12-31T00:00:00Z" }),
      anEvent({ recipientPhone: "13900139000" }),
    ]);

    expect(results.map((r) => r.status)).toEqual([
      "rejected",
      "rejected",
      expect.not.stringMatching(/rejected/),
    ]);
    expect(results[0]?.errors?.map((e) => e.path)).toEqual(["occurredAt"]);
    expect(results[1]?.errors?.map((e) => e.path)).toEqual(["occurredAt"]);
  });
});
