import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox, optOuts, partners } from "../../schema";
import { maskPhone } from "../../src/privacy/phone";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import { history, message, migrateOnceBeforeAll, queueTestSms, releaseDelayedSmsJobs } from "../support/sms";

migrateOnceBeforeAll();

/** 10:00 in Changji (Asia/Shanghai); the Shanghai day ends at 16:00 UTC. */
const START = "2026-11-28T02:00:00Z";
const NEXT_DAY = "2026-11-28T16:00:00.000Z";
const PHONE = "+8613800138000";

async function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock(START);
  const ctx = await createTestContext({ clock, env });
  const partner = await aPartner(ctx);
  return { ctx, clock, partner };
}

async function optOut(ctx: TestContext, phone: string) {
  await ctx.deps.db
    .insert(optOuts)
    .values({ recipientHash: ctx.deps.pii.hash(phone), recipientMasked: maskPhone(phone), source: "admin" });
}

async function outboxCount(ctx: TestContext) {
  return (await ctx.deps.db.select().from(devOutbox)).length;
}

async function quotas(ctx: TestContext) {
  const token = await ctx.login("admin");
  const res = await ctx.app.request("/v1/sms/quotas", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    day: string;
    partners: { partnerId: string; usedParts: number; dailyQuota: number; state: string }[];
  };
}

describe("opt-outs at send time", () => {
  it("suppresses a reminder to an opted-out number, with the reason, and sends nothing", async () => {
    const { ctx, partner } = await setup();
    await optOut(ctx, PHONE);

    const [id] = await queueTestSms(ctx, [{ to: PHONE, partnerId: partner.id }]);
    await ctx.drain();

    expect(await message(ctx, id as string)).toMatchObject({ status: "suppressed", holdReason: "opted_out" });
    expect(await history(ctx, id as string)).toEqual([
      { status: "queued", detail: null },
      { status: "suppressed", detail: "opted_out" },
    ]);
    expect(await outboxCount(ctx)).toBe(0);
  });

  it("still sends the warning to a potential victim who opted out: it is a statutory duty, not marketing", async () => {
    const { ctx } = await setup();
    await optOut(ctx, PHONE);

    const [id] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    await ctx.drain();

    expect((await message(ctx, id as string)).status).toBe("submitted");
    expect(await outboxCount(ctx)).toBe(1);
  });

  it("suppresses reminders of a disabled partner", async () => {
    const { ctx, partner } = await setup();
    const [id] = await queueTestSms(ctx, [{ to: PHONE, partnerId: partner.id }]);
    await ctx.deps.db.update(partners).set({ disabledAt: new Date() }).where(eq(partners.id, partner.id));
    await ctx.drain();
    expect(await message(ctx, id as string)).toMatchObject({
      status: "suppressed",
      holdReason: "partner_disabled",
    });
  });
});

describe("the provider's per-number daily cap", () => {
  it("holds bulk back before the cap (keeping a reserve for warnings), sends urgent regardless, resumes the next day", async () => {
    // Cap 4 per number per day, 1 of it reserved for urgent: bulk may send 3.
    const { ctx, clock, partner } = await setup({
      SMS_PER_NUMBER_DAILY_CAP: "4",
      SMS_PER_NUMBER_URGENT_RESERVE: "1",
    });

    const bulk = await queueTestSms(
      ctx,
      Array.from({ length: 5 }, () => ({ to: PHONE, partnerId: partner.id })),
    );
    await ctx.drain();

    const statuses = await Promise.all(bulk.map((id) => message(ctx, id)));
    expect(statuses.filter((m) => m.status === "submitted")).toHaveLength(3);
    const held = statuses.filter((m) => m.status === "queued");
    expect(held).toHaveLength(2);
    for (const m of held) {
      expect(m.holdReason).toBe("per_number_cap");
      expect(m.notBefore?.toISOString()).toBe(NEXT_DAY);
      expect((await history(ctx, m.id)).at(-1)?.detail).toBe(`held: per_number_cap until ${NEXT_DAY}`);
    }
    // The held messages never reached the provider: nothing was burnt on a refusal.
    expect(await outboxCount(ctx)).toBe(3);

    // Urgent SMS to the same number go out: the reserve first, and beyond the cap too.
    const urgent = await queueTestSms(ctx, [
      { to: PHONE, lane: "urgent", purpose: "victim_warning" },
      { to: PHONE, lane: "urgent", purpose: "officer_notification" },
    ]);
    await ctx.drain();
    for (const id of urgent) expect((await message(ctx, id)).status).toBe("submitted");

    // Their jobs come early (a redelivery, a re-drive): still the same day, so they wait.
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();
    expect((await Promise.all(held.map((m) => message(ctx, m.id)))).map((m) => m.status)).toEqual([
      "queued",
      "queued",
    ]);

    clock.advance(14 * 3_600_000 + 1_000); // 00:00:01 the next day in Changji
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();
    for (const m of held) {
      expect(await message(ctx, m.id)).toMatchObject({ status: "submitted", holdReason: null });
    }
  });
});

describe("a partner's daily quota", () => {
  it("warns at 80%, holds bulk at 100% with the reason visible, and resumes by itself the next day", async () => {
    const { ctx, clock, partner } = await setup();
    await ctx.deps.db.update(partners).set({ dailyQuota: 10 }).where(eq(partners.id, partner.id));
    const phones = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        to: `+861380013${String(from + i).padStart(4, "0")}`,
        partnerId: partner.id,
      }));

    await queueTestSms(ctx, phones(0, 7));
    await ctx.drain();
    expect((await quotas(ctx)).partners).toEqual([
      expect.objectContaining({ partnerId: partner.id, usedParts: 7, dailyQuota: 10, state: "ok" }),
    ]);

    await queueTestSms(ctx, phones(7, 1));
    await ctx.drain();
    expect((await quotas(ctx)).partners[0]).toMatchObject({ usedParts: 8, state: "warning" });

    const last = await queueTestSms(ctx, phones(8, 4));
    await ctx.drain();
    const after = await Promise.all(last.map((id) => message(ctx, id)));
    // Sent concurrently, so which two get the last of the quota is not fixed; that only two do is.
    expect(after.filter((m) => m.status === "submitted")).toHaveLength(2);
    const held = after.filter((m) => m.status === "queued");
    expect(held).toHaveLength(2);
    for (const m of held) {
      expect(m).toMatchObject({ holdReason: "quota_exhausted", notBefore: new Date(NEXT_DAY) });
    }
    expect((await quotas(ctx)).partners[0]).toMatchObject({ usedParts: 10, state: "exhausted" });

    // The partner sees why from the message itself.
    const res = await ctx.app.request(`/v1/messages/${held[0]?.id}`, {
      headers: { authorization: `Bearer ${partner.apiKey}` },
    });
    expect(await res.json()).toMatchObject({
      status: "queued",
      reason: "quota_exhausted",
      notBefore: NEXT_DAY,
    });

    clock.advance(14 * 3_600_000 + 1_000);
    expect((await quotas(ctx)).partners[0]).toMatchObject({ usedParts: 0, state: "ok" });
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();
    expect((await Promise.all(last.map((id) => message(ctx, id)))).map((m) => m.status)).toEqual([
      "submitted",
      "submitted",
      "submitted",
      "submitted",
    ]);
    expect((await quotas(ctx)).partners[0]).toMatchObject({ usedParts: 2, state: "ok" });
  }, 90_000);

  it("counts parts, as providers bill them: a two-part reminder takes two", async () => {
    const { ctx, partner } = await setup();
    await ctx.deps.db.update(partners).set({ dailyQuota: 3 }).where(eq(partners.id, partner.id));
    const long = `【昌吉公安】${"警惕冒充快递客服以理赔为由索要验证码的诈骗，".repeat(3)}拒收请回复R`;

    const ids = await queueTestSms(ctx, [
      { to: "+8613800138001", partnerId: partner.id, body: long },
      { to: "+8613800138002", partnerId: partner.id, body: long },
    ]);
    await ctx.drain();

    const both = await Promise.all(ids.map((id) => message(ctx, id)));
    expect(both.map((m) => m.segments)).toEqual([2, 2]);
    expect(both.map((m) => m.status).sort()).toEqual(["queued", "submitted"]);
    expect(both.find((m) => m.status === "queued")?.holdReason).toBe("quota_exhausted");
  });

  it("is shown only to supervisors and admins", async () => {
    const { ctx } = await setup();
    const token = await ctx.login("miaogong");
    const res = await ctx.app.request("/v1/sms/quotas", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
  });
});
