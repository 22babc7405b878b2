import { beforeAll, describe, expect, it } from "vitest";
import { deleteExpiredRows } from "../../src/privacy/retention";
import { aCampaign, anEvent, decide, parcelContext, warmDatabase } from "../parcels/support";
import { aPartner } from "../support/partners";
import { partnerGet, pullAll, receiptFor } from "./support";

beforeAll(warmDatabase);

describe("GET /v1/partners/{partnerId}/message-events: the pull", () => {
  it("lists every status change of the partner's reminders in order, each reminder's changes in its own order", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const sent = anEvent();
    const uncovered = anEvent({ recipientPhone: "13900139000", area: { code: "110101" } });
    const [scheduled] = await decide(ctx, partner, [sent, uncovered]);
    await ctx.drain();
    await receiptFor(ctx, scheduled?.messageId as string, "delivered");

    const { events } = await pullAll(ctx, partner);

    const of = (waybillNo: string) =>
      events.filter((e) => e.waybillNo === waybillNo).map((e) => [e.status, e.reason]);
    expect(of(sent.waybillNo)).toEqual([
      ["scheduled", null],
      ["submitted", null],
      ["delivered", null],
    ]);
    expect(of(uncovered.waybillNo)).toEqual([["suppressed", "no_campaign"]]);
    expect(
      events.filter((e) => e.waybillNo === sent.waybillNo).every((e) => e.messageId === scheduled?.messageId),
    ).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    expect(events.every((e) => e.test === false)).toBe(true);
  });

  it("pages by cursor without losing or repeating an event, and a cursor at the end waits for what comes next", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    await decide(ctx, partner, [anEvent(), anEvent({ recipientPhone: "13900139001" })]);
    await ctx.drain();
    const whole = await pullAll(ctx, partner);

    const paged = await pullAll(ctx, partner, { limit: 1 });
    expect(paged.events.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));

    const nothingYet = await pullAll(ctx, partner, { after: whole.nextCursor });
    expect(nothingYet.events).toEqual([]);
    const [later] = await decide(ctx, partner, [anEvent({ recipientPhone: "13900139002" })]);
    const next = await pullAll(ctx, partner, { after: whole.nextCursor });
    expect(next.events.map((e) => [e.status, e.messageId])).toEqual([["scheduled", later?.messageId]]);
  });

  it("marks deferred reminders with their reason and records their release", async () => {
    const ctx = await parcelContext({ at: "2026-11-28T22:15:00+08:00" });
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const [deferred] = await decide(ctx, partner, [anEvent()]);
    expect(deferred?.status).toBe("deferred");
    ctx.clock.set("2026-11-29T10:00:30+08:00");
    await ctx.deps.queue.publish([{ queue: "parcel-release", message: { type: "parcels.release", v: 1 } }]);
    await ctx.drain();

    const { events } = await pullAll(ctx, partner);
    expect(events.map((e) => [e.status, e.reason])).toEqual([
      ["deferred", "quiet_hours"],
      ["scheduled", null],
      ["submitted", null],
    ]);
  });

  it("answers only the partner's own events: another partner's id is a 404, no key a 401", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const other = await aPartner(ctx);
    await aCampaign(ctx);
    await decide(ctx, other, [anEvent()]);

    expect((await pullAll(ctx, partner)).events).toEqual([]);
    expect((await partnerGet(ctx, { id: other.id, apiKey: partner.apiKey }, "/message-events")).status).toBe(
      404,
    );
    const anonymous = await ctx.app.request(`/v1/partners/${partner.id}/message-events`);
    expect(anonymous.status).toBe(401);
  });

  it("forgets events after the retention period, with the records they describe", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    await decide(ctx, partner, [anEvent()]);
    await ctx.drain();
    expect((await pullAll(ctx, partner)).events).toHaveLength(2);

    ctx.clock.advance((ctx.deps.config.PII_RETENTION_DAYS + 30) * 86_400_000);
    await deleteExpiredRows(ctx.deps, 100);

    expect((await pullAll(ctx, partner)).events).toEqual([]);
  });

  it.each([["not-a-cursor"], ["eyJ4IjotMX0"]])(
    "refuses the cursor %s with a 400 naming `after`",
    async (after) => {
      const ctx = await parcelContext();
      const partner = await aPartner(ctx);
      const res = await partnerGet(ctx, partner, `/message-events?after=${after}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(JSON.stringify(await res.json())).toContain('"after"');
    },
  );
});
