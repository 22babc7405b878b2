import { and, asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, feedSources, jobs, smsMessages, warnings } from "../../schema";
import { aSubjectPhone, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { about, alertCount, post, type Result } from "./support";

async function alertRow(ctx: TestContext, alertId: string) {
  const [row] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  if (!row) throw new Error(`no alert ${alertId}`);
  return row;
}

async function victimWarnings(ctx: TestContext, alertId: string) {
  return ctx.deps.db
    .select({ body: smsMessages.body, to: smsMessages.recipientEnc })
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")))
    .orderBy(asc(smsMessages.createdAt), asc(smsMessages.id));
}

/** Delayed jobs wait by the database clock; after moving the ManualClock, time has passed for them too. */
async function releaseDelayedJobs(ctx: TestContext) {
  await ctx.deps.db.update(jobs).set({ visibleAt: sql`now()` });
}

describe("repeat warnings for one subject", () => {
  describe("linking", () => {
    it("links a new warning for a subject with an open alert to it: one case with both warnings", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();
      const [first] = await post(ctx, about(phone));
      await ctx.drain();

      const [second] = await post(ctx, about(phone, { type: "sms", riskLevel: "medium" }));

      expect(second).toEqual({ index: 0, status: "accepted", alertId: first?.alertId, linked: true });
      expect(await alertCount(ctx)).toBe(1);
      const token = await ctx.login("miaogong");
      const view = (await (await send(ctx, token, "GET", `/v1/alerts/${first?.alertId}`)).json()) as {
        warnings: { externalId: string }[];
      };
      expect(view.warnings).toHaveLength(2);
      const events = await ctx.deps.db
        .select()
        .from(alertEvents)
        .where(
          and(eq(alertEvents.alertId, first?.alertId as string), eq(alertEvents.kind, "warning_linked")),
        );
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toMatchObject({ riskLevel: "medium", type: "sms", sourceId: "src_platform" });
    });

    it("opens one alert for two new warnings about one subject in the same batch", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();
      const other = aSubjectPhone();

      const results = await post(ctx, about(phone), about(other), about(phone));

      expect(results.map((r) => [r.status, r.linked ?? false])).toEqual([
        ["accepted", false],
        ["accepted", false],
        ["accepted", true],
      ]);
      expect(results[2]?.alertId).toBe(results[0]?.alertId);
      expect(results[1]?.alertId).not.toBe(results[0]?.alertId);
      expect(await alertCount(ctx)).toBe(2);
      const pushJobs = await ctx.deps.db.select().from(jobs).where(eq(jobs.queue, "alert-push"));
      expect(pushJobs).toHaveLength(2);
    });

    it.each([
      [23, "links it to the open alert", true],
      [25, "opens a new alert", false],
    ])("%i hours after the first warning, %s", async (hours, _what, linked) => {
      const clock = new ManualClock();
      const ctx = await createTestContext({ clock });
      const phone = aSubjectPhone();
      const [first] = await post(ctx, about(phone));
      await ctx.drain();

      clock.advanceMinutes(hours * 60);
      const [later] = await post(ctx, about(phone));

      expect(later?.status).toBe("accepted");
      expect(later?.alertId === first?.alertId).toBe(linked);
      expect(later?.linked ?? false).toBe(linked);
      expect(await alertCount(ctx)).toBe(linked ? 1 : 2);
    });

    it("follows REPEAT_LINK_HOURS", async () => {
      const clock = new ManualClock();
      const ctx = await createTestContext({ clock, env: { REPEAT_LINK_HOURS: "2" } });
      const phone = aSubjectPhone();
      await post(ctx, about(phone));

      clock.advanceMinutes(150);
      const [later] = await post(ctx, about(phone));

      expect(later?.linked).toBeUndefined();
      expect(await alertCount(ctx)).toBe(2);
    });

    it.each(["verified", "fed_back"] as const)(
      "opens a new alert when the earlier one is %s",
      async (stage) => {
        const ctx = await createTestContext();
        const phone = aSubjectPhone();
        const [first] = await post(ctx, about(phone));
        await ctx.deps.db
          .update(alerts)
          .set({ stage })
          .where(eq(alerts.id, first?.alertId as string));

        const [later] = await post(ctx, about(phone));

        expect(later?.alertId).not.toBe(first?.alertId);
        expect(later?.linked).toBeUndefined();
      },
    );

    it("does not link warnings about one subject received by different stations", async () => {
      const ctx = await createTestContext();
      const secret = "other-station-secret";
      await ctx.deps.db.insert(feedSources).values({
        id: "src_other",
        stationId: ctx.fixture.ids.otherStation,
        name: "Other station's platform",
        secretEnc: ctx.deps.pii.encrypt(secret),
      });
      const phone = aSubjectPhone();
      const [here] = await post(ctx, about(phone));

      const res = await ctx.postWarnings({ warnings: [about(phone)] }, { sourceId: "src_other", secret });
      const [there] = ((await res.json()) as { results: Result[] }).results;

      expect(there?.status).toBe("accepted");
      expect(there?.alertId).not.toBe(here?.alertId);
      expect(there?.linked).toBeUndefined();
    });

    it("still reports a resent warning as a duplicate, not a link", async () => {
      const ctx = await createTestContext();
      const warning = about(aSubjectPhone());
      const [first] = await post(ctx, warning);

      const [again] = await post(ctx, warning);

      expect(again).toEqual({ index: 0, status: "duplicate", alertId: first?.alertId });
      const rows = await ctx.deps.db.select().from(warnings);
      expect(rows).toHaveLength(1);
    });
  });

  describe("risk level", () => {
    it("raises the alert's risk level, type and amount when funds move after a call", async () => {
      const clock = new ManualClock();
      const ctx = await createTestContext({ clock });
      const phone = aSubjectPhone();
      const [first] = await post(
        ctx,
        about(phone, { type: "call", riskLevel: "high", amountAtRisk: 100_000 }),
      );
      await ctx.drain();
      const pushed = await alertRow(ctx, first?.alertId as string);
      expect(pushed.deadlineAt).toEqual(new Date(clock.now().getTime() + 5 * 60_000));

      clock.advanceMinutes(1);
      await post(ctx, about(phone, { type: "funds", riskLevel: "critical", amountAtRisk: 2_000_000 }));

      const raised = await alertRow(ctx, first?.alertId as string);
      expect(raised).toMatchObject({ type: "funds", riskLevel: "critical", amountAtRisk: 2_000_000 });
      // Critical: acknowledge within a minute of the funds warning, sooner than the high alert's 5 minutes.
      expect(raised.deadlineAt).toEqual(new Date(clock.now().getTime() + 60_000));
      const [event] = await ctx.deps.db
        .select()
        .from(alertEvents)
        .where(
          and(eq(alertEvents.alertId, first?.alertId as string), eq(alertEvents.kind, "warning_linked")),
        );
      expect(event?.data).toMatchObject({ riskLevel: "critical", raisedFrom: "high" });
    });

    it("never lowers the alert's risk level or gives more time for a less urgent warning", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();
      const [first] = await post(ctx, about(phone, { type: "funds", riskLevel: "critical" }));
      await ctx.drain();
      const before = await alertRow(ctx, first?.alertId as string);

      await post(ctx, about(phone, { type: "url", riskLevel: "low" }));

      const after = await alertRow(ctx, first?.alertId as string);
      expect(after).toMatchObject({ type: "funds", riskLevel: "critical", deadlineAt: before.deadlineAt });
    });

    it("opens the alert of a batch at the most urgent of its subject's warnings", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();

      const [call] = await post(
        ctx,
        about(phone, { type: "call", riskLevel: "medium" }),
        about(phone, { type: "funds", riskLevel: "critical" }),
      );
      await ctx.drain();

      expect(await alertRow(ctx, call?.alertId as string)).toMatchObject({
        type: "funds",
        riskLevel: "critical",
      });
      // Pushed once, with the funds warning's text: no second SMS for a warning that arrived with the first.
      const sent = await victimWarnings(ctx, call?.alertId as string);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.body).toContain("转账");
    });
  });

  describe("warning the subject again", () => {
    async function givenWarnedSubject(env: Record<string, string> = {}) {
      const clock = new ManualClock();
      const ctx = await createTestContext({ clock, env });
      const phone = aSubjectPhone();
      const [first] = await post(ctx, about(phone, { type: "call", riskLevel: "high" }));
      await ctx.drain();
      const alertId = first?.alertId as string;
      expect(await victimWarnings(ctx, alertId)).toHaveLength(1);
      return { clock, ctx, phone, alertId };
    }

    it.each([
      [29, 1],
      [31, 2],
    ])(
      "%i minutes after the last warning SMS, at the same level, the subject has %i warning(s)",
      async (minutes, expected) => {
        const { clock, ctx, phone, alertId } = await givenWarnedSubject();

        clock.advanceMinutes(minutes);
        await post(ctx, about(phone, { type: "sms", riskLevel: "high" }));
        await ctx.drain();

        const sent = await victimWarnings(ctx, alertId);
        expect(sent).toHaveLength(expected);
        for (const sms of sent) expect(ctx.deps.pii.decrypt(sms.to as string)).toBe(phone);
      },
    );

    it("warns again within the quiet window when the risk level rose, with the new warning's text", async () => {
      const { clock, ctx, phone, alertId } = await givenWarnedSubject();

      clock.advanceMinutes(5);
      await post(ctx, about(phone, { type: "funds", riskLevel: "critical" }));
      await ctx.drain();

      const sent = await victimWarnings(ctx, alertId);
      expect(sent).toHaveLength(2);
      expect(sent[1]?.body).toContain("请立即停止转账");
      expect(await alertRow(ctx, alertId)).toMatchObject({
        lastVictimWarningAt: clock.now(),
        lastVictimWarningRisk: "critical",
      });
    });

    it("counts the quiet window from the latest warning SMS, not the first", async () => {
      const { clock, ctx, phone, alertId } = await givenWarnedSubject();
      clock.advanceMinutes(31);
      await post(ctx, about(phone, { riskLevel: "high" }));
      await ctx.drain();
      expect(await victimWarnings(ctx, alertId)).toHaveLength(2);

      clock.advanceMinutes(10);
      await post(ctx, about(phone, { riskLevel: "high" }));
      await ctx.drain();

      expect(await victimWarnings(ctx, alertId)).toHaveLength(2);
    });

    it("follows REPEAT_WARNING_QUIET_MINUTES", async () => {
      const { clock, ctx, phone, alertId } = await givenWarnedSubject({ REPEAT_WARNING_QUIET_MINUTES: "5" });

      clock.advanceMinutes(6);
      await post(ctx, about(phone, { riskLevel: "high" }));
      await ctx.drain();

      expect(await victimWarnings(ctx, alertId)).toHaveLength(2);
    });

    it("sends nothing twice when the re-warning message is delivered again", async () => {
      const { clock, ctx, phone, alertId } = await givenWarnedSubject();
      clock.advanceMinutes(40);
      await post(ctx, about(phone, { riskLevel: "high" }));
      const [rewarn] = await ctx.deps.db.select().from(jobs).where(eq(jobs.queue, "alert-push"));
      await ctx.drain();
      expect(await victimWarnings(ctx, alertId)).toHaveLength(2);

      // Even after the quiet window has passed again, the same warning does not warn twice.
      clock.advanceMinutes(40);
      await ctx.deps.queue.publish([{ queue: "alert-push", message: rewarn?.payload as never }]);
      await releaseDelayedJobs(ctx);
      await ctx.drain();

      expect(await victimWarnings(ctx, alertId)).toHaveLength(2);
    });

    it("does not warn again once the alert has been closed", async () => {
      const { clock, ctx, phone, alertId } = await givenWarnedSubject();
      clock.advanceMinutes(40);
      await post(ctx, about(phone, { riskLevel: "critical", type: "funds" }));
      await ctx.deps.db.update(alerts).set({ stage: "verified" }).where(eq(alerts.id, alertId));

      await ctx.drain();

      expect(await victimWarnings(ctx, alertId)).toHaveLength(1);
    });
  });
});
