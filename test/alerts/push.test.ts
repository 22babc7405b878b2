import { SegmentedMessage } from "sms-segments-calculator";
import { describe, expect, it } from "vitest";
import { jurisdictionRules } from "../../schema";
import { createTestContext } from "../support/context";
import { alertRow } from "../support/feedback";
import { anOfficer, intake, outboxFor, SUBJECT, smsFor } from "./support";

const SIGNATURE = /^【[^【】]{2,12}】/;
const URL_LIKE = /https?:|www\.|[a-z0-9-]+\.(com|cn|net|org|top|xyz|vip|cc|me|app)\b/i;
/** A number anyone could be asked to call or text back: 110, 96110, 12381, a mobile, a landline. */
const CALLABLE_NUMBER = /\d{3,}/;
const FULL_MOBILE = /1[3-9]\d{9}/;

describe("alert push (快推)", () => {
  describe("routing", () => {
    it("marks the alert pushed, routed to the post whose area code prefix matches", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "652301105201", address: "某地" } });

      await ctx.drain();

      const alert = await alertRow(ctx, alertId);
      expect(alert).toMatchObject({ stage: "pushed", postId: "pst_miaogong", routedBy: "rul_miaogong_code" });
      expect(alert.pushedAt).toBeInstanceOf(Date);
      expect(alert.pushedAt?.getTime()).toBeGreaterThanOrEqual(alert.receivedAt.getTime());
    });

    it("routes by address keyword when no area code rule matches", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "652301", address: "三工镇二工村三组" } });

      await ctx.drain();

      expect(await alertRow(ctx, alertId)).toMatchObject({
        stage: "pushed",
        postId: "pst_ergong",
        routedBy: "rul_ergong_kw",
      });
    });

    it("lets the longest matching rule win", async () => {
      const ctx = await createTestContext();
      await ctx.deps.db.insert(jurisdictionRules).values([
        {
          id: "rul_township",
          stationId: "stn_sangong",
          postId: "pst_ergong",
          kind: "area_prefix",
          pattern: "652301105",
        },
        {
          id: "rul_group",
          stationId: "stn_sangong",
          postId: "pst_ergong",
          kind: "address_keyword",
          pattern: "庙工村七组",
        },
      ]);
      const byCode = await intake(ctx, { area: { code: "652301105201" } });
      const byKeyword = await intake(ctx, { area: { address: "三工镇庙工村七组" } });

      await ctx.drain();

      expect(await alertRow(ctx, byCode)).toMatchObject({
        postId: "pst_miaogong",
        routedBy: "rul_miaogong_code",
      });
      expect(await alertRow(ctx, byKeyword)).toMatchObject({
        postId: "pst_ergong",
        routedBy: "rul_group",
      });
    });

    it("falls back to the station's duty desk and notifies its officer", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "110101", address: "北京市东城区" } });

      await ctx.drain();

      expect(await alertRow(ctx, alertId)).toMatchObject({ postId: "pst_duty", routedBy: "duty_desk" });
      const notified = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(notified.map((m) => m.to)).toEqual([ctx.fixture.phones.duty]);
    });

    it("never applies another station's rules, however well they match", async () => {
      const ctx = await createTestContext();
      await ctx.deps.db.insert(jurisdictionRules).values([
        // Same length as this station's rule and an id that sorts first: only the station filter keeps it out.
        {
          id: "rul_0_other_code",
          stationId: "stn_other",
          postId: "pst_other_duty",
          kind: "area_prefix",
          pattern: "652301105201",
        },
        {
          id: "rul_other_kw",
          stationId: "stn_other",
          postId: "pst_other_duty",
          kind: "address_keyword",
          pattern: "北京市东城区",
        },
      ]);
      const coded = await intake(ctx, { area: { code: "652301105201" } });
      const unmatched = await intake(ctx, { area: { address: "北京市东城区" } });

      await ctx.drain();

      expect(await alertRow(ctx, coded)).toMatchObject({
        postId: "pst_miaogong",
        routedBy: "rul_miaogong_code",
      });
      expect(await alertRow(ctx, unmatched)).toMatchObject({
        postId: "pst_duty",
        routedBy: "duty_desk",
      });
    });
  });

  describe("the warning SMS to the subject", () => {
    it.each(["funds", "call", "sms", "url", "app", "other"])(
      "sends exactly one %s warning: signed, no link, no number to call back, segments counted",
      async (type) => {
        const ctx = await createTestContext();
        const alertId = await intake(ctx, { type, subject: { phone: "138 0013 8000" } });

        await ctx.drain();

        const warnings = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "victim_warning");
        expect(warnings).toHaveLength(1);
        const [sms] = warnings;
        expect(sms).toMatchObject({ to: SUBJECT, status: "submitted", lane: "urgent" });
        expect(sms?.body?.startsWith(ctx.deps.config.SMS_SIGNATURE)).toBe(true);
        expect(sms?.body).toMatch(SIGNATURE);
        expect(sms?.body).not.toMatch(URL_LIKE);
        expect(sms?.body).not.toMatch(CALLABLE_NUMBER);
        expect(sms?.segments).toBe(new SegmentedMessage(sms?.body as string).segmentsCount);

        const outbox = (await outboxFor(ctx.deps, alertId)).filter((o) => o.purpose === "victim_warning");
        expect(outbox).toHaveLength(1);
        expect(outbox[0]).toMatchObject({
          messageId: sms?.id,
          toMasked: "138****8000",
          body: sms?.body,
          segments: sms?.segments,
        });
      },
    );

    it("signs with the configured signature", async () => {
      const ctx = await createTestContext({ env: { SMS_SIGNATURE: "【三工派出所】" } });
      const alertId = await intake(ctx);

      await ctx.drain();

      const bodies = (await smsFor(ctx.deps, alertId)).map((m) => m.body);
      expect(bodies.length).toBeGreaterThan(1);
      for (const body of bodies) expect(body.startsWith("【三工派出所】")).toBe(true);
    });
  });

  describe("notifications to officers", () => {
    it("notifies each on-duty officer of the post with a phone once, and no one else", async () => {
      const ctx = await createTestContext();
      const second = await anOfficer(ctx, "off_miaogong_2");
      await anOfficer(ctx, "off_off_duty", { onDuty: false });
      await anOfficer(ctx, "off_disabled", { disabledAt: new Date("2026-01-01T00:00:00Z") });
      await anOfficer(ctx, "off_no_phone", { phone: null });
      const elsewhere = await anOfficer(ctx, "off_ergong_2", { postId: ctx.fixture.ids.ergong });
      const alertId = await intake(ctx, { area: { code: "652301105201" } });

      await ctx.drain();

      const notified = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(notified.map((m) => m.to).sort()).toEqual([ctx.fixture.phones.miaogong, second.phone].sort());
      const recipients = (await smsFor(ctx.deps, alertId)).map((m) => m.to);
      for (const phone of [ctx.fixture.phones.ergong, ctx.fixture.phones.duty, elsewhere.phone]) {
        expect(recipients).not.toContain(phone);
      }
      expect(await outboxFor(ctx.deps, alertId)).toHaveLength(3);
    });

    it("tells the officer what and where, signed, without the subject's number", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, {
        type: "funds",
        riskLevel: "critical",
        subject: { phone: "+86 138 0013 8000", name: "王某" },
        area: { code: "652301105201", address: "三工镇庙工村七组" },
      });

      await ctx.drain();

      const [sms] = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(sms?.body).toMatch(SIGNATURE);
      expect(sms?.body).toContain("资金预警");
      expect(sms?.body).toContain("庙工村七组");
      expect(sms?.body).toContain(alertId.slice(-8));
      expect(sms?.body).not.toMatch(FULL_MOBILE);
      expect(sms?.body).not.toContain("王某");
      expect(sms?.body).not.toMatch(URL_LIKE);
      expect(sms?.segments).toBe(new SegmentedMessage(sms?.body as string).segmentsCount);
    });
  });
});
