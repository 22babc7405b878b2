import { and, eq, sql } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { alerts, feedbackEvents, jobs, type RiskLevel, smsMessages } from "../../schema";
import { acknowledgeAlert } from "../../src/alerts/verify";
import { principalOf } from "../support/access";
import { anAlert, givenPushedAlert } from "../support/alerts";
import {
  alertRow,
  CALLBACK_URL,
  feedbackEvent,
  givenVerifiedAlert,
  queuedJobs,
  setCallbackUrl,
  timelineKinds,
} from "../support/feedback";
import { aWarning } from "../support/fixture";
import { escalationSms, MINUTE, setup, toDeadline } from "./support";

const receiver = setupServer();
beforeAll(() => receiver.listen({ onUnhandledRequest: "error" }));
afterEach(() => receiver.resetHandlers());
afterAll(() => receiver.close());

describe("sweeper: missed deadlines", () => {
  it("does not escalate exactly at the deadline, and escalates 1 ms after it", async () => {
    const { ctx, clock, sweep } = await setup();
    const alertId = await anAlert(ctx, { riskLevel: "high" });
    const pushed = await alertRow(ctx, alertId);
    expect(pushed.deadlineKind).toBe("acknowledge");
    expect((pushed.deadlineAt as Date).getTime() - pushed.receivedAt.getTime()).toBe(5 * MINUTE);

    await toDeadline(ctx, clock, alertId, 0);
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 0 });
    expect((await alertRow(ctx, alertId)).escalated).toBe(false);

    clock.advance(1);
    expect(await sweep()).toMatchObject({ escalated: 1 });

    const alert = await alertRow(ctx, alertId);
    expect(alert).toMatchObject({
      escalated: true,
      escalationCount: 1,
      lastEscalatedAt: clock.now(),
      riskLevel: "critical",
      stage: "pushed",
      deadlineKind: "acknowledge",
    });
    expect(await timelineKinds(ctx, alertId)).toContain("escalated");
    const sms = await escalationSms(ctx, alertId);
    expect(sms.map((m) => m.to).sort()).toEqual(["139****1001", "139****9999"]);
    expect(sms[0]?.body).toContain("超时升级");
    expect(sms[0]?.body).not.toMatch(/1\d{10}/);
  });

  it("sends nothing new when run again, and reminds after ESCALATION_REMIND_MINUTES without raising again", async () => {
    const { ctx, clock, sweep } = await setup({ ESCALATION_REMIND_MINUTES: "10" });
    const alertId = await anAlert(ctx, { riskLevel: "medium" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    expect((await alertRow(ctx, alertId)).riskLevel).toBe("high");

    await sweep();
    // The reminder is owed 10 minutes after the escalation: exactly then is not overdue, a millisecond after is.
    clock.advance(10 * MINUTE);
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 0 });
    expect(await escalationSms(ctx, alertId)).toHaveLength(2);

    clock.advance(1);
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 1 });
    const alert = await alertRow(ctx, alertId);
    expect(alert).toMatchObject({ escalationCount: 2, riskLevel: "high", lastEscalatedAt: clock.now() });
    const sms = await escalationSms(ctx, alertId);
    expect(sms).toHaveLength(4);
    expect(sms.slice(2).every((m) => m.body?.includes("第2次"))).toBe(true);
  });

  it.each<[RiskLevel, RiskLevel]>([
    ["low", "medium"],
    ["high", "critical"],
    ["critical", "critical"],
  ])("raises %s to %s", async (from, to) => {
    const { ctx, clock, sweep } = await setup();
    const alertId = await anAlert(ctx, { riskLevel: from });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    expect((await alertRow(ctx, alertId)).riskLevel).toBe(to);
  });

  it("escalates a new missed deadline of an escalated alert as an escalation, not a reminder", async () => {
    const { ctx, clock, sweep } = await setup();
    const alertId = await anAlert(ctx, { riskLevel: "medium" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    // The officer claims it late, ending the chain: first contact, owed 15 minutes after receipt now that
    // the alert is high, is already missed.
    await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
    expect(await alertRow(ctx, alertId)).toMatchObject({ deadlineKind: "contact", escalationStep: 0 });
    clock.advance(1);

    expect(await sweep()).toMatchObject({ escalated: 1, reminded: 0 });
    expect(await alertRow(ctx, alertId)).toMatchObject({ escalationCount: 2, riskLevel: "critical" });
  });

  it("leaves closed alerts alone", async () => {
    const { ctx, clock, sweep } = await setup();
    const { alertId } = await givenVerifiedAlert(ctx);
    clock.advance(24 * 60 * MINUTE);
    await sweep();
    expect((await alertRow(ctx, alertId)).escalated).toBe(false);
  });

  it("works through more overdue alerts than one batch", async () => {
    const { ctx, clock, sweep } = await setup({ SWEEP_BATCH_SIZE: "2" });
    for (let i = 0; i < 5; i++) await anAlert(ctx, { riskLevel: "high" });
    clock.advance(6 * MINUTE);
    expect(await sweep()).toMatchObject({ escalated: 5 });
  });
});

describe("sweeper: re-drives", () => {
  it("re-publishes the push of an alert stuck in received for more than a minute, at most every 5 minutes", async () => {
    const { ctx, clock, sweep } = await setup();
    const res = await ctx.postWarnings({ warnings: [aWarning({ subject: { phone: "+8613700000077" } })] });
    const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
    await ctx.deps.db.delete(jobs).where(eq(jobs.queue, "alert-push")); // the push message was lost

    clock.advance(MINUTE);
    expect(await sweep()).toMatchObject({ pushesRedriven: 0 });
    clock.advance(1);
    expect(await sweep()).toMatchObject({ pushesRedriven: 1 });
    expect(await queuedJobs(ctx, "alert-push")).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ type: "alert.push", alertId }) }),
    ]);
    clock.advance(4 * MINUTE);
    expect(await sweep()).toMatchObject({ pushesRedriven: 0 });
    clock.advance(MINUTE);
    expect(await sweep()).toMatchObject({ pushesRedriven: 1 });
    expect(await timelineKinds(ctx, alertId)).toEqual(["push_redriven", "push_redriven"]);

    await ctx.drain();
    expect((await alertRow(ctx, alertId)).stage).toBe("pushed");
  });

  it("creates the feedback events a verified alert is missing", async () => {
    const { ctx, sweep } = await setup();
    const alertId = await givenPushedAlert(ctx);
    await ctx.deps.db
      .update(alerts)
      .set({ stage: "verified", outcome: "dissuaded", verifiedAt: ctx.deps.clock.now() })
      .where(eq(alerts.id, alertId));

    expect(await sweep()).toMatchObject({ feedbackCreated: 1 });
    const events = await ctx.deps.db.select().from(feedbackEvents).where(eq(feedbackEvents.alertId, alertId));
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ alertId, outcome: "dissuaded" });
    expect(await sweep()).toMatchObject({ feedbackCreated: 0 });
  });

  it("re-drives pending feedback whose delivery is overdue by more than the lease, then delivers it", async () => {
    const { ctx, clock, sweep } = await setup({ FEEDBACK_TIMEOUT_MS: "10000" });
    await setCallbackUrl(ctx, CALLBACK_URL);
    const { alertId, eventId } = await givenVerifiedAlert(ctx);
    await ctx.deps.db.delete(jobs).where(eq(jobs.queue, "feedback")); // the delivery message was lost

    clock.advance(40_000); // lease: timeout 10 s + 30 s
    expect(await sweep()).toMatchObject({ feedbackRedriven: 0 });
    clock.advance(1);
    expect(await sweep()).toMatchObject({ feedbackRedriven: 1 });
    expect((await feedbackEvent(ctx, eventId)).nextAttemptAt).toEqual(clock.now());
    expect(await sweep()).toMatchObject({ feedbackRedriven: 0 });

    receiver.use(http.post(CALLBACK_URL, () => HttpResponse.json({ ok: true })));
    await ctx.drain();
    expect((await feedbackEvent(ctx, eventId)).status).toBe("delivered");
    expect((await alertRow(ctx, alertId)).stage).toBe("fed_back");
  });

  it("runs as the sweep.run consumer", async () => {
    const { ctx, clock } = await setup();
    const alertId = await givenPushedAlert(ctx, { riskLevel: "critical" });
    clock.advance(MINUTE + 1);

    await ctx.deps.queue.publish([{ queue: "sweeper", message: { type: "sweep.run", v: 1 } }]);
    await ctx.drain();

    expect((await alertRow(ctx, alertId)).escalated).toBe(true);
    const sent = await ctx.deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(smsMessages)
      .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "escalation_notice")));
    expect(sent[0]?.n).toBe(2);
  });
});
