import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dailyUsage,
  devOutbox,
  optOuts,
  parcelEvents,
  partners,
  reminderReservations,
  smsMessages,
} from "../../schema";
import { partnerGet, pullAll } from "../message-events/support";
import type { TestContext } from "../support/context";
import { aPartner, type TestPartner } from "../support/partners";
import { aCampaign, adminToken, anEvent, decide, parcelContext, postEvents, warmDatabase } from "./support";

beforeAll(warmDatabase);

/** A test-mode key for the partner, made the way an admin makes one. */
async function testKey(ctx: TestContext, partner: TestPartner): Promise<TestPartner> {
  const admin = await adminToken(ctx);
  const res = await ctx.app.request(`/v1/partners/${partner.id}/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ mode: "test" }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { apiKey: string; mode: string };
  expect(body.mode).toBe("test");
  return { ...partner, apiKey: body.apiKey };
}

async function tally(ctx: TestContext) {
  const n = async (table: typeof devOutbox | typeof dailyUsage) =>
    (await ctx.deps.db.select({ n: count() }).from(table))[0]?.n;
  return { outbox: await n(devOutbox), counters: await n(dailyUsage) };
}

describe("test-mode API keys", () => {
  it("are made by admins, say so in the key and in the list of keys; a key is live unless asked", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    expect(test.apiKey).toMatch(/^pk_test_/);
    const admin = await adminToken(ctx);
    const live = await ctx.app.request(`/v1/partners/${partner.id}/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(((await live.json()) as { mode: string; apiKey: string }).apiKey).toMatch(/^pk_(?!test_)/);
    const list = await ctx.app.request(`/v1/partners/${partner.id}/keys`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const modes = ((await list.json()) as { keys: { mode: string }[] }).keys.map((k) => k.mode).sort();
    expect(modes).toEqual(["live", "live", "test"]);
  });

  it("get the same validation and decisions as live keys", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    await ctx.deps.db.insert(optOuts).values({
      recipientHash: ctx.deps.pii.hash("+8613900139000"),
      recipientMasked: "139****9000",
      source: "inbound",
      keyword: "R",
    });
    const batch = (prefix: string) => [
      anEvent({ waybillNo: `${prefix}0001`, recipientPhone: "13800138000" }),
      anEvent({ waybillNo: `${prefix}0002`, recipientPhone: "13800138000" }),
      anEvent({ waybillNo: `${prefix}0003`, recipientPhone: "13900139000" }),
      anEvent({ waybillNo: `${prefix}0004`, recipientPhone: "13700137000", area: { code: "110101" } }),
      anEvent({ waybillNo: `${prefix}0005`, recipientPhone: "12345" }),
    ];
    const shape = (results: Awaited<ReturnType<typeof decide>>) =>
      results.map(({ messageId: _m, ...r }) => r);

    const testResults = await decide(ctx, test, batch("TST"));
    const liveResults = await decide(ctx, partner, batch("LIV"));

    expect(shape(testResults)).toEqual(shape(liveResults));
    expect(shape(testResults).map((r) => [r.status, r.reason ?? r.errors?.[0]?.path])).toEqual([
      ["scheduled", undefined],
      ["suppressed", "capped_1d"],
      ["suppressed", "opted_out"],
      ["suppressed", "no_campaign"],
      ["rejected", "recipientPhone"],
    ]);
  });

  it("send nothing to any channel, mark what they made as test, and read it back as delivered", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    const event = anEvent();
    const [result] = await decide(ctx, test, [event]);
    await ctx.drain();

    expect(await tally(ctx)).toEqual({ outbox: 0, counters: 0 });
    const [sms] = await ctx.deps.db.select().from(smsMessages);
    expect(sms).toMatchObject({ id: result?.messageId, test: true, channel: "test", status: "delivered" });
    const [stored] = await ctx.deps.db.select().from(parcelEvents);
    expect(stored?.test).toBe(true);

    const readBack = await partnerGet(ctx, test, `/parcel-events/${event.waybillNo}`);
    const view = (await readBack.json()) as { events: { test: boolean; sms: { status: string } }[] };
    expect(view.events).toEqual([
      expect.objectContaining({ test: true, sms: expect.objectContaining({ status: "delivered" }) }),
    ]);
    const message = await ctx.app.request(`/v1/messages/${result?.messageId}`, {
      headers: { authorization: `Bearer ${test.apiKey}` },
    });
    expect(await message.json()).toMatchObject({ test: true, status: "delivered" });
    const { events } = await pullAll(ctx, test);
    expect(events.map((e) => [e.status, e.test])).toEqual([
      ["scheduled", true],
      ["submitted", true],
      ["delivered", true],
    ]);
    // The live key sees live traffic only: the test waybill is not there.
    expect((await partnerGet(ctx, partner, `/parcel-events/${event.waybillNo}`)).status).toBe(404);
  });

  it("never count against live caps, waybills or the partner's quota", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    await ctx.deps.db.update(partners).set({ dailyQuota: 1 }).where(eq(partners.id, partner.id));
    const tried = anEvent({ recipientPhone: "13800138000" });
    const testResults = await decide(ctx, test, [
      tried,
      anEvent({ recipientPhone: "13800138001" }),
      anEvent({ recipientPhone: "13800138002" }),
    ]);
    await ctx.drain();
    expect(testResults.map((r) => r.status)).toEqual(["scheduled", "scheduled", "scheduled"]);

    // The same waybill and person, live: new, not capped, and within a one-part quota the test used three times.
    const [live] = await decide(ctx, partner, [{ ...tried }]);
    expect(live?.status).toBe("scheduled");
    await ctx.drain();
    const [sent] = await ctx.deps.db
      .select()
      .from(smsMessages)
      .where(eq(smsMessages.id, live?.messageId as string));
    expect(sent).toMatchObject({ status: "submitted", test: false, holdReason: null });
    expect((await tally(ctx)).outbox).toBe(1);
    const reservations = await ctx.deps.db.select().from(reminderReservations);
    expect(reservations.map((r) => r.test).sort()).toEqual([false, true, true, true]);
  });

  it("never count in reports of live traffic; the test key's own report shows its traffic", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    await decide(ctx, test, [anEvent(), anEvent({ recipientPhone: "13800138001" })]);
    await decide(ctx, partner, [anEvent({ recipientPhone: "13800138002" })]);
    await ctx.drain();
    const range = "from=2026-11-01&to=2026-12-31";
    const figures = async (path: string, authorization: string) => {
      const res = await ctx.app.request(`${path}?${range}`, { headers: { authorization } });
      expect(res.status).toBe(200);
      const rows = ((await res.json()) as { rows: { eventsReceived: number; submitted: number }[] }).rows;
      return rows.reduce(
        (a, r) => ({ events: a.events + r.eventsReceived, submitted: a.submitted + r.submitted }),
        {
          events: 0,
          submitted: 0,
        },
      );
    };
    const admin = `Bearer ${await adminToken(ctx)}`;
    expect(await figures("/v1/reports/sms", admin)).toEqual({ events: 1, submitted: 1 });
    expect(await figures(`/v1/partners/${partner.id}/reports/sms`, `Bearer ${partner.apiKey}`)).toEqual({
      events: 1,
      submitted: 1,
    });
    expect(await figures(`/v1/partners/${partner.id}/reports/sms`, `Bearer ${test.apiKey}`)).toEqual({
      events: 2,
      submitted: 2,
    });
  });

  it("give no standing to opt a number out: a test reminder texted nobody", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    await decide(ctx, test, [anEvent({ recipientPhone: "13800138000" })]);
    await ctx.drain();
    const raw = JSON.stringify({ messages: [{ from: "13800138000", text: "R" }] });
    const res = await ctx.app.request("/v1/sms/inbound", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-partner-id": partner.id,
        authorization: `Bearer ${test.apiKey}`,
      },
      body: raw,
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("NOT_YOUR_RECIPIENT");
  });

  it("answers a repeated Idempotency-Key from its own mode, never with the other mode's stored answer", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const test = await testKey(ctx, partner);
    await aCampaign(ctx);
    const body = { events: [anEvent()] };
    const first = await postEvents(ctx, test, body, { "idempotency-key": "batch-1" });
    const live = await postEvents(ctx, partner, body, { "idempotency-key": "batch-1" });
    const [a, b] = [
      (await first.json()) as { results: { messageId: string }[] },
      (await live.json()) as { results: { messageId: string }[] },
    ];
    expect(a.results[0]?.messageId).not.toBe(b.results[0]?.messageId);
  });
});
