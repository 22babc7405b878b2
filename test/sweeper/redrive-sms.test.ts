import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, jobs, officerNotices, officers, smsEvents, smsMessages } from "../../schema";
import { runSweep } from "../../src/sweeper/sweep";
import { drainQueues } from "../alerts/support";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { alertRow, queuedJobs } from "../support/feedback";
import { aWarning } from "../support/fixture";
import { aPartner } from "../support/partners";
import { history, message, queueTestSms } from "../support/sms";

const MINUTE = 60_000;
const SUPERVISOR_PHONE = "+8613999009999";

async function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock, env });
  return { ctx, clock, sweep: () => runSweep(ctx.deps, ctx.deps.log) };
}

/** The SQS send after commit failed: the rows are committed, their jobs never reached the queue. */
async function loseSmsJobs(ctx: TestContext) {
  await ctx.deps.db.delete(jobs).where(inArray(jobs.queue, ["sms-urgent", "sms-bulk"]));
}

/** created_at is database time (now()), which a test cannot move: age the rows instead. */
async function ageMessages(ctx: TestContext, ids: string[], minutes: number) {
  await ctx.deps.db
    .update(smsMessages)
    .set({ createdAt: sql`now() - make_interval(mins => ${minutes})` })
    .where(inArray(smsMessages.id, ids));
}

async function sentEvents(ctx: TestContext, id: string) {
  const rows = await ctx.deps.db
    .select({ status: smsEvents.status })
    .from(smsEvents)
    .where(and(eq(smsEvents.messageId, id), eq(smsEvents.status, "submitted")));
  return rows.length;
}

describe("sweeper: queued SMS whose send job was lost", () => {
  it("re-drives them on their lane's queue after the grace period, and each is sent exactly once", async () => {
    const { ctx, sweep } = await setup({ SWEEP_REDRIVE_GRACE_SECONDS: "120" });
    const partner = await aPartner(ctx);
    const [warning] = await queueTestSms(ctx, [{ to: "+8613700000001" }]);
    const [reminder] = await queueTestSms(ctx, [{ to: "+8613700000002", partnerId: partner.id }]);
    const ids = [warning, reminder] as string[];
    await loseSmsJobs(ctx);

    await ageMessages(ctx, ids, 1);
    expect(await sweep()).toMatchObject({ smsRedriven: 0 });

    await ageMessages(ctx, ids, 3);
    const [a, b] = await Promise.all([sweep(), sweep()]);
    expect(a.smsRedriven + b.smsRedriven).toBe(2);
    expect((await queuedJobs(ctx, "sms-urgent")).map((j) => j.payload.messageId)).toEqual([warning]);
    expect((await queuedJobs(ctx, "sms-bulk")).map((j) => j.payload.messageId)).toEqual([reminder]);
    // Re-driven and not yet sent: a further sweep leaves them to their jobs.
    expect(await sweep()).toMatchObject({ smsRedriven: 0 });

    await ctx.drain();
    await ctx.drain();
    for (const id of ids) {
      expect(await message(ctx, id)).toMatchObject({ status: "submitted", attempts: 1 });
      expect(await sentEvents(ctx, id)).toBe(1);
    }
    expect(await sweep()).toMatchObject({ smsRedriven: 0 });
  });

  it("sends once when the lost job turns up after all (a duplicate job finds the message sent)", async () => {
    const { ctx, sweep } = await setup();
    const [id] = (await queueTestSms(ctx, [{ to: "+8613700000003" }])) as string[];
    // The job was only late, not lost: a consumer has it (invisible) when the sweeper re-drives the message.
    await ctx.deps.db
      .update(jobs)
      .set({ visibleAt: sql`now() + interval '1 minute'` })
      .where(eq(jobs.queue, "sms-urgent"));
    await ageMessages(ctx, [id as string], 3);
    expect(await sweep()).toMatchObject({ smsRedriven: 1 });
    await ctx.deps.db.update(jobs).set({ visibleAt: sql`now()` }).where(eq(jobs.queue, "sms-urgent"));
    expect(await queuedJobs(ctx, "sms-urgent")).toHaveLength(2);

    await ctx.drain();
    expect(await message(ctx, id as string)).toMatchObject({ status: "submitted", attempts: 1 });
    expect(await sentEvents(ctx, id as string)).toBe(1);
  });

  it("leaves alone a lane whose queue has a backlog: a flood's reminders are waiting, not lost", async () => {
    const { ctx, sweep } = await setup();
    const partner = await aPartner(ctx);
    const flood = (await queueTestSms(
      ctx,
      Array.from({ length: 3 }, (_, i) => ({ to: `+861370000010${i}`, partnerId: partner.id })),
    )) as string[];
    const [warning] = (await queueTestSms(ctx, [{ to: "+8613700000200" }])) as string[];
    await ctx.deps.db.delete(jobs).where(eq(jobs.queue, "sms-urgent")); // the warning's job was lost
    await ageMessages(ctx, [...flood, warning as string], 10);

    // The warning's lane has no backlog: it is re-driven. The reminders wait for their jobs.
    expect(await sweep()).toMatchObject({ smsRedriven: 1 });
    expect((await queuedJobs(ctx, "sms-urgent")).map((j) => j.payload.messageId)).toEqual([warning]);
    expect(await queuedJobs(ctx, "sms-bulk")).toHaveLength(3);
    for (const id of flood) expect(await history(ctx, id)).toEqual([{ status: "queued", detail: null }]);

    await ctx.drain();
    for (const id of [...flood, warning as string]) expect(await sentEvents(ctx, id)).toBe(1);
  });

  it("leaves alone a message being sent, held until later, or waiting for its retry", async () => {
    const { ctx, clock, sweep } = await setup();
    const ids = (await queueTestSms(ctx, [
      { to: "+8613700000004" },
      { to: "+8613700000005" },
      { to: "+8613700000006" },
    ])) as string[];
    const [leased, held, retrying] = ids as [string, string, string];
    await loseSmsJobs(ctx);
    await ageMessages(ctx, ids, 30);
    await ctx.deps.db
      .update(smsMessages)
      .set({ leaseUntil: sql`now() + interval '1 minute'` })
      .where(eq(smsMessages.id, leased));
    await ctx.deps.db
      .update(smsMessages)
      .set({ notBefore: new Date(clock.now().getTime() + 60 * MINUTE), holdReason: "per_number_cap" })
      .where(eq(smsMessages.id, held));
    // What retryLater in src/sms/dispatch/failure-policy.ts records when it puts a job back with a backoff.
    await ctx.deps.db.insert(smsEvents).values({
      messageId: retrying,
      status: "queued",
      detail: "attempt 1 failed: busy; retry in 240 s",
    });

    expect(await sweep()).toMatchObject({ smsRedriven: 0 });
    expect(await queuedJobs(ctx, "sms-urgent")).toEqual([]);

    // The lease ran out with the sender gone: now it is re-driven, and only it.
    await ctx.deps.db
      .update(smsMessages)
      .set({ leaseUntil: sql`now() - interval '1 second'` })
      .where(eq(smsMessages.id, leased));
    expect(await sweep()).toMatchObject({ smsRedriven: 1 });
    expect((await queuedJobs(ctx, "sms-urgent")).map((j) => j.payload.messageId)).toEqual([leased]);
    await ctx.drain();

    // The held message's time comes: its own delayed job gets the grace period to run first.
    clock.advance(60 * MINUTE + MINUTE);
    expect(await sweep()).toMatchObject({ smsRedriven: 0 });
    clock.advance(2 * MINUTE);
    expect(await sweep()).toMatchObject({ smsRedriven: 1 });
    expect((await queuedJobs(ctx, "sms-urgent")).map((j) => j.payload.messageId)).toEqual([held]);
    await ctx.drain();

    // The retry's job is gone too (lost), five minutes after it was scheduled.
    await ctx.deps.db
      .update(smsEvents)
      .set({ at: sql`now() - interval '6 minutes'` })
      .where(eq(smsEvents.messageId, retrying));
    expect(await sweep()).toMatchObject({ smsRedriven: 1 });
  });
});

describe("sweeper: officer notices whose flush was lost", () => {
  it("re-publishes officer.notify once the interval and grace have passed, and the notice goes out", async () => {
    const { ctx, clock, sweep } = await setup({
      OFFICER_NOTIFY_INTERVAL_SECONDS: "120",
      SWEEP_REDRIVE_GRACE_SECONDS: "120",
    });
    // Medium: bundled (critical and high are paged at once since issue 13, so nothing of theirs waits).
    await givenPushedAlert(ctx, { riskLevel: "medium" });
    // A second alert within the interval: its notice waits for a delayed flush, and that message is lost.
    clock.advance(30_000);
    const second = await givenPushedAlert(ctx, { riskLevel: "medium" });
    const pendingFor = () =>
      ctx.deps.db
        .select({ officerId: officerNotices.officerId })
        .from(officerNotices)
        .where(and(eq(officerNotices.alertId, second), isNull(officerNotices.messageId)));
    expect((await pendingFor()).length).toBeGreaterThan(0);
    await ctx.deps.db.delete(jobs).where(eq(jobs.queue, "officer-notify"));

    clock.advance(4 * MINUTE - 1);
    expect(await sweep()).toMatchObject({ officerNoticesRedriven: 0 });

    // Off duty: the notice waits for the next flush on purpose.
    const officerIds = (await pendingFor()).map((p) => p.officerId);
    await ctx.deps.db.update(officers).set({ onDuty: false }).where(inArray(officers.id, officerIds));
    clock.advance(2);
    expect(await sweep()).toMatchObject({ officerNoticesRedriven: 0 });

    await ctx.deps.db.update(officers).set({ onDuty: true }).where(inArray(officers.id, officerIds));
    expect(await sweep()).toMatchObject({ officerNoticesRedriven: officerIds.length });
    await ctx.drain();
    await ctx.drain();
    expect(await pendingFor()).toEqual([]);
    const notices = await ctx.deps.db
      .select({ messageId: officerNotices.messageId })
      .from(officerNotices)
      .where(eq(officerNotices.alertId, second));
    const sms = await ctx.deps.db
      .select({ status: smsMessages.status, purpose: smsMessages.purpose })
      .from(smsMessages)
      .where(
        inArray(
          smsMessages.id,
          notices.map((n) => n.messageId as string),
        ),
      );
    expect(sms).toHaveLength(officerIds.length);
    expect(sms.every((m) => m.status === "submitted" && m.purpose === "officer_notification")).toBe(true);
    expect(await sweep()).toMatchObject({ officerNoticesRedriven: 0 });
  });
});

describe("sweeper: a critical page whose flush was lost", () => {
  it("re-publishes officer.notify after the grace alone, though the officer was paged moments before", async () => {
    const { ctx, clock, sweep } = await setup({
      OFFICER_NOTIFY_INTERVAL_SECONDS: "120",
      SWEEP_REDRIVE_GRACE_SECONDS: "20",
    });
    await givenPushedAlert(ctx, { riskLevel: "critical" });
    clock.advance(5_000);
    // Pushed, its notice recorded, but the flush message never reached the queue.
    const res = await ctx.postWarnings({ warnings: [aWarning({ riskLevel: "critical" })] });
    const [result] = ((await res.json()) as { results: { alertId: string }[] }).results;
    const alertId = result?.alertId as string;
    await drainQueues(ctx, ["alert-push"]);
    await ctx.deps.db.delete(jobs).where(eq(jobs.queue, "officer-notify"));

    clock.advance(20_000);
    expect(await sweep()).toMatchObject({ officerNoticesRedriven: 0 });
    clock.advance(1_000);
    expect((await sweep()).officerNoticesRedriven).toBeGreaterThan(0);
    await ctx.drain();
    const [notice] = await ctx.deps.db
      .select({ messageId: officerNotices.messageId })
      .from(officerNotices)
      .where(and(eq(officerNotices.alertId, alertId), eq(officerNotices.officerId, "off_miaogong")));
    expect(notice?.messageId).not.toBeNull();
  });
});

describe("sweeper: the deadline after an escalation", () => {
  it("escalates once and raises the level once when sweeps repeat within the remind interval", async () => {
    const { ctx, clock, sweep } = await setup({ ESCALATION_REMIND_MINUTES: "10" });
    await ctx.deps.db
      .update(officers)
      .set({
        phoneEnc: ctx.deps.pii.encrypt(SUPERVISOR_PHONE),
        phoneHash: ctx.deps.pii.hash(SUPERVISOR_PHONE),
      })
      .where(eq(officers.id, "off_supervisor"));
    const alertId = await givenPushedAlert(ctx, { riskLevel: "medium" });
    const { deadlineAt } = await alertRow(ctx, alertId);
    clock.advance((deadlineAt as Date).getTime() + 1 - clock.now().getTime());
    const escalatedAt = clock.now();

    const [a, b] = await Promise.all([sweep(), sweep()]);
    expect(a.escalated + b.escalated).toBe(1);
    clock.advance(5 * MINUTE);
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 0 });

    const alert = await alertRow(ctx, alertId);
    expect(alert).toMatchObject({ riskLevel: "high", escalationCount: 1, deadlineKind: "acknowledge" });
    // The next deadline is the next reminder's, so the alert is not measured against the missed one again.
    expect(alert.deadlineAt).toEqual(new Date(escalatedAt.getTime() + 10 * MINUTE));
    const notices = await ctx.deps.db
      .select({ to: smsMessages.recipientMasked })
      .from(smsMessages)
      .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "escalation_notice")))
      .orderBy(asc(smsMessages.id));
    expect(notices.map((n) => n.to).sort()).toEqual(["139****1001", "139****9999"]);

    // Past the reminder deadline: a reminder, at the same level, and the deadline moves on again.
    clock.advance(5 * MINUTE + 1);
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 1 });
    expect(await alertRow(ctx, alertId)).toMatchObject({
      riskLevel: "high",
      escalationCount: 2,
      deadlineAt: new Date(clock.now().getTime() + 10 * MINUTE),
    });
    expect(
      (await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId)))[0]?.lastEscalatedAt,
    ).toEqual(clock.now());
  });
});
