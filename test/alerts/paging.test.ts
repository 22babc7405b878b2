import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, jobs, officerNotices } from "../../schema";
import { acknowledgeAlert, logContactAttempt, recordOutcome } from "../../src/alerts/verify";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { principalOf } from "../support/access";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { alertsFor, drainQueues, smsTo } from "./support";

/** Urgency decides the page (issue 13): critical and high at once, medium and low bundled, stale ones dropped. */

/** Delayed jobs wait by the database clock; after moving the ManualClock, time has passed for them too. */
async function releaseDelayedJobs(ctx: TestContext) {
  await ctx.deps.db.update(jobs).set({ visibleAt: sql`now()` });
}

async function droppedEvents(ctx: TestContext, alertId: string) {
  const rows = await ctx.deps.db
    .select({ data: alertEvents.data })
    .from(alertEvents)
    .where(and(eq(alertEvents.alertId, alertId), eq(alertEvents.kind, "officer_notice_dropped")));
  return rows.map((r) => r.data);
}

async function noticeOf(ctx: TestContext, alertId: string) {
  const [row] = await ctx.deps.db
    .select()
    .from(officerNotices)
    .where(and(eq(officerNotices.officerId, "off_miaogong"), eq(officerNotices.alertId, alertId)));
  return row;
}

describe("officer paging by urgency", () => {
  it.each(["critical", "high"])(
    "pages a %s alert at once, even 5 s after another page",
    async (riskLevel) => {
      const clock = new ManualClock();
      const ctx = await createTestContext({ clock });
      const [first] = await alertsFor(ctx, { riskLevel: "medium" });
      await ctx.drain();
      clock.advance(5_000);
      const [urgent] = await alertsFor(ctx, { riskLevel });
      await ctx.drain(); // no time passes: nothing delayed is released

      const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
      expect(sent.map((s) => s.alertId)).toEqual([first, urgent]);
      expect(sent[1]?.body).toContain((urgent as string).slice(-8));
    },
  );

  it("bundles a medium alert and a low one behind an earlier page, then sends them together", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx, { riskLevel: "critical" });
    await ctx.drain();
    clock.advance(5_000);
    await alertsFor(ctx, { riskLevel: "medium" }, { riskLevel: "low" });
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);

    clock.advance(115_000);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent[1]?.body).toBe("【昌吉公安】您有2条新预警：中风险1、低风险1，请立即登录签收。");
  });

  it("never holds a bundled notice past its acknowledge deadline, however long the interval", async () => {
    const clock = new ManualClock();
    // An hour between bundles; a medium alert must be acknowledged within 30 minutes.
    const ctx = await createTestContext({ clock, env: { OFFICER_NOTIFY_INTERVAL_SECONDS: "3600" } });
    await alertsFor(ctx, { riskLevel: "low" });
    await ctx.drain();
    clock.advanceMinutes(1);
    const [medium] = await alertsFor(ctx, { riskLevel: "medium" });
    await ctx.drain();
    const [alert] = await ctx.deps.db
      .select()
      .from(alerts)
      .where(eq(alerts.id, medium as string));
    const deadline = alert?.deadlineAt as Date;
    expect(deadline.getTime() - clock.now().getTime()).toBe(30 * 60_000);

    // Its flush is scheduled for the deadline, not for the end of the hour.
    const [flush] = await ctx.deps.db
      .select({ delay: sql<number>`extract(epoch from ${jobs.visibleAt} - now())::float8` })
      .from(jobs)
      .where(eq(jobs.queue, "officer-notify"));
    expect(Number(flush?.delay)).toBeGreaterThan(30 * 60 - 5);
    expect(Number(flush?.delay)).toBeLessThanOrEqual(30 * 60);

    // Released early (a redelivery), it waits again rather than sending.
    clock.advanceMinutes(20);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);

    clock.set(deadline);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent.map((s) => s.alertId)).toEqual([expect.any(String), medium]);
  });

  it("pages at once a bundled alert that a joining warning raises to critical", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx, { riskLevel: "low" });
    await ctx.drain();
    clock.advance(10_000);
    const subject = { phone: "+8613800555001" };
    const [alertId] = (await alertsFor(ctx, { riskLevel: "medium", subject })) as [string];
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);

    clock.advance(5_000);
    await alertsFor(ctx, { riskLevel: "critical", type: "funds", subject });
    await ctx.drain(); // no time passes: nothing delayed is released

    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.alertId).toBe(alertId);
    expect(sent[1]?.body).toContain("【紧急】");
  });

  it("drops notices of alerts acknowledged, closed or transferred before the bundle, and summarises only the open ones", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const me = principalOf(ctx);
    await alertsFor(ctx, { riskLevel: "low" });
    await ctx.drain();
    clock.advance(10_000);
    const [acked, closed, transferred, openA, openB] = (await alertsFor(
      ctx,
      ...Array.from({ length: 5 }, () => ({ riskLevel: "medium" })),
    )) as [string, string, string, string, string];
    await ctx.drain();

    await acknowledgeAlert(ctx.deps, me, acked);
    await acknowledgeAlert(ctx.deps, me, closed);
    await logContactAttempt(ctx.deps, me, closed, { channel: "phone", reached: true });
    await recordOutcome(ctx.deps, me, closed, { outcome: "dissuaded" });
    await acknowledgeAlert(ctx.deps, me, transferred);
    await recordOutcome(ctx.deps, me, transferred, {
      outcome: "wrong_subject",
      transferToPostId: ctx.fixture.ids.ergong,
    });

    clock.advance(110_000);
    await releaseDelayedJobs(ctx);
    await ctx.drain();

    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent.map((s) => s.body)).toEqual([
      expect.stringContaining("低风险"),
      "【昌吉公安】您有2条新预警：中风险2，请立即登录签收。",
    ]);
    for (const alertId of [openA, openB]) expect((await noticeOf(ctx, alertId))?.messageId).toBe(sent[1]?.id);
    for (const [alertId, reason] of [
      [acked, "acknowledged"],
      [closed, "closed"],
      [transferred, "transferred"],
    ] as const) {
      const notice = await noticeOf(ctx, alertId);
      expect(notice).toMatchObject({ messageId: null, dropReason: reason, droppedAt: clock.now() });
      expect(await droppedEvents(ctx, alertId)).toEqual([{ officerId: "off_miaogong", reason }]);
    }
    // Dropped is final: later flushes and sweeps find nothing to send.
    clock.advanceMinutes(10);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(2);
  });

  it("drops a critical page whose alert was acknowledged before its flush ran", async () => {
    const ctx = await createTestContext();
    const [alertId] = (await alertsFor(ctx, { riskLevel: "critical" })) as [string];
    await drainQueues(ctx, ["alert-push"]);
    await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toEqual([]);
    expect(await droppedEvents(ctx, alertId)).toEqual([
      { officerId: "off_miaogong", reason: "acknowledged" },
    ]);
  });

  it("shows the dropped notice on the console timeline in words, in zh and en", async () => {
    const ctx = await createTestContext();
    const [alertId] = (await alertsFor(ctx, { riskLevel: "critical" })) as [string];
    await drainQueues(ctx, ["alert-push"]);
    await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
    await ctx.drain();

    const cookie = `${SESSION_COOKIE}=${await ctx.login("miaogong")}`;
    const html = async (query: string) =>
      (await ctx.app.request(`/console/alerts/${alertId}${query}`, { headers: { cookie } })).text();
    const zh = await html("");
    expect(zh).toContain("未发民警通知短信 · 系统 · 预警已签收");
    expect(zh).not.toContain("officer_notice_dropped");
    expect(await html("?lang=en")).toContain("Officer SMS not sent · System · alert already acknowledged");
  });
});
