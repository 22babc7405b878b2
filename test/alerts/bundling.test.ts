import { and, eq, isNull, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs, officerNotices, officers } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { alertsFor, drainQueues, smsTo } from "./support";

const FULL_MOBILE = /1[3-9]\d{9}/;
const ERGONG = { riskLevel: "medium", area: { code: "652301", address: "三工镇二工村三组" } };
/** Bundling applies to medium and low alerts only. */
const MEDIUM = { riskLevel: "medium" };

/** Delayed jobs wait by the database clock; after moving the ManualClock, time has passed for them too. */
async function releaseDelayedJobs(ctx: TestContext) {
  await ctx.deps.db.update(jobs).set({ visibleAt: sql`now()` });
}

async function addMiaogongOfficer(ctx: TestContext, id: string, phone: string) {
  await ctx.deps.db.insert(officers).values({
    id,
    stationId: ctx.fixture.ids.station,
    postId: ctx.fixture.ids.miaogong,
    username: id,
    displayName: id,
    role: "officer",
    phoneEnc: ctx.deps.pii.encrypt(phone),
    phoneHash: ctx.deps.pii.hash(phone),
    passwordHash: "not-used",
  });
}

describe("officer notification bundling", () => {
  // Before issue 13 this burst of critical and high alerts was bundled too: one SMS at once and the other
  // nine in a summary 120 s later, after a critical alert's 1-minute acknowledge deadline. Urgency now
  // decides: each critical or high alert is paged at once, whatever was sent to the officer before.
  it("during a burst of 10 critical and high alerts, pages each officer once per alert, at once", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const second = "+8613999002001";
    await addMiaogongOfficer(ctx, "off_miaogong_2", second);
    const { miaogong, ergong, duty } = ctx.fixture.phones;

    const ids = await alertsFor(ctx, { type: "call", riskLevel: "high" });
    await ctx.drain();
    const rest = ["critical", "high", "high", "critical", "high", "high", "critical", "high", "high"];
    for (const riskLevel of rest) {
      clock.advance(10_000);
      ids.push(...(await alertsFor(ctx, { riskLevel })));
      await ctx.drain();
    }

    for (const phone of [miaogong, second]) {
      const sent = await smsTo(ctx, phone);
      expect(sent.map((s) => s.alertId)).toEqual(ids);
      for (const [i, sms] of sent.entries()) {
        expect(sms.body).toContain((ids[i] as string).slice(-8));
        expect(sms.body).not.toMatch(FULL_MOBILE);
      }
    }
    for (const phone of [ergong, duty]) expect(await smsTo(ctx, phone)).toEqual([]);
    const pending = await ctx.deps.db.select().from(officerNotices).where(isNull(officerNotices.messageId));
    expect(pending).toEqual([]);

    // Nothing else is waiting to go out to them.
    clock.advanceMinutes(10);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(await smsTo(ctx, miaogong)).toHaveLength(10);
  });

  it("during a burst of 10 medium and low alerts, texts each officer once at once and once more with the rest after the interval", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const { miaogong } = ctx.fixture.phones;

    const [first] = await alertsFor(ctx, { riskLevel: "medium" });
    await ctx.drain();
    for (const riskLevel of ["low", "medium", "medium", "low", "medium", "medium", "low", "medium", "low"]) {
      clock.advance(10_000);
      await alertsFor(ctx, { riskLevel });
      await ctx.drain();
    }
    const sent = await smsTo(ctx, miaogong);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.alertId).toBe(first);

    clock.advance(30_000); // 120 s after the first SMS
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    const after = await smsTo(ctx, miaogong);
    expect(after.map((s) => s.body)).toEqual([
      expect.stringContaining((first as string).slice(-8)),
      "【昌吉公安】您有9条新预警：中风险5、低风险4，请立即登录签收。",
    ]);
  });

  it("summarises medium alerts that arrive together in one SMS, and pages the critical ones apart", async () => {
    const ctx = await createTestContext();

    const ids = await alertsFor(
      ctx,
      ...Array.from({ length: 10 }, (_, i) => ({ riskLevel: i < 4 ? "critical" : "medium" })),
    );
    await ctx.drain();

    // The critical ones are paged one by one (before issue 13 they were in the summary); the medium ones
    // arriving together are one summary.
    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent).toHaveLength(5);
    expect(sent.filter((s) => s.alertId !== null).map((s) => s.alertId)).toEqual(
      expect.arrayContaining(ids.slice(0, 4)),
    );
    const summaries = sent.filter((s) => s.alertId === null);
    expect(summaries.map((s) => s.body)).toEqual(["【昌吉公安】您有6条新预警：中风险6，请立即登录签收。"]);
  });

  it.each([
    [119, 1],
    [120, 2],
  ])("%i s after the last SMS, an officer with a new alert has %i SMS", async (seconds, expected) => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx, MEDIUM);
    await ctx.drain();
    clock.advance(30_000);
    const [later] = await alertsFor(ctx, MEDIUM);
    await ctx.drain();

    clock.advance((seconds - 30) * 1000);
    await releaseDelayedJobs(ctx);
    await ctx.drain();

    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent).toHaveLength(expected);
    // One alert waiting: the detailed text, not a summary.
    if (expected === 2) expect(sent[1]?.alertId).toBe(later);
  });

  it("waits for the officer's interval again after a too-early flush, by OFFICER_NOTIFY_INTERVAL_SECONDS", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock, env: { OFFICER_NOTIFY_INTERVAL_SECONDS: "300" } });
    await alertsFor(ctx, MEDIUM);
    await ctx.drain();
    await alertsFor(ctx, MEDIUM);
    await ctx.drain();

    clock.advance(200_000);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);
    const [rescheduled] = await ctx.deps.db
      .select({ delay: sql<number>`extract(epoch from ${jobs.visibleAt} - now())::float8` })
      .from(jobs)
      .where(eq(jobs.queue, "officer-notify"));
    expect(Number(rescheduled?.delay)).toBeGreaterThan(95);
    expect(Number(rescheduled?.delay)).toBeLessThanOrEqual(100);

    clock.advance(100_000);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(2);
  });

  it("keeps each officer's interval to themselves", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx, MEDIUM);
    await ctx.drain();

    clock.advance(10_000);
    await alertsFor(ctx, ERGONG);
    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.ergong)).toHaveLength(1);
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);
  });

  it("sends nothing twice when a notify message is delivered again", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx, MEDIUM, MEDIUM);
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);

    clock.advanceMinutes(5);
    await ctx.deps.queue.publish([
      { queue: "officer-notify", message: { type: "officer.notify", v: 1, officerId: "off_miaogong" } },
      { queue: "officer-notify", message: { type: "officer.notify", v: 1, officerId: "off_miaogong" } },
    ]);
    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);
  });

  it("does not text an officer who went off duty before the flush, and keeps the notice", async () => {
    const ctx = await createTestContext();
    await alertsFor(ctx, MEDIUM);
    await drainQueues(ctx, ["alert-push"]);
    await ctx.deps.db.update(officers).set({ onDuty: false }).where(eq(officers.id, "off_miaogong"));

    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toEqual([]);
    const pending = await ctx.deps.db
      .select()
      .from(officerNotices)
      .where(and(eq(officerNotices.officerId, "off_miaogong"), isNull(officerNotices.messageId)));
    expect(pending).toHaveLength(1);
  });
});
