import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { devOutbox, optOuts, parcelEvents, reminderReservations, smsMessages } from "../../schema";
import { aPartner } from "../support/partners";
import {
  aCampaign,
  anEvent,
  decide,
  parcelContext,
  postEvents,
  type Result,
  TEMPLATE_A,
  TEMPLATE_B,
  warmDatabase,
} from "./support";

beforeAll(warmDatabase);

async function rows(ctx: Awaited<ReturnType<typeof parcelContext>>) {
  const [events] = await ctx.deps.db.select({ n: count() }).from(parcelEvents);
  const [sms] = await ctx.deps.db.select({ n: count() }).from(smsMessages);
  const [reservations] = await ctx.deps.db.select({ n: count() }).from(reminderReservations);
  return { events: events?.n, sms: sms?.n, reservations: reservations?.n };
}

describe("POST /v1/partners/{partnerId}/parcel-events: the reminder decision", () => {
  it("schedules a reminder in the sending hours, queues it on the bulk lane and it reaches the outbox", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);

    const [result] = await decide(ctx, partner, [anEvent()]);

    expect(result).toEqual({ index: 0, status: "scheduled", messageId: expect.stringMatching(/^msg_/) });
    const [sms] = await ctx.deps.db.select().from(smsMessages);
    expect(sms).toMatchObject({
      id: result?.messageId,
      lane: "bulk",
      purpose: "parcel_reminder",
      partnerId: partner.id,
      body: TEMPLATE_A,
    });
    await ctx.drain();
    const outbox = await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.purpose, "parcel_reminder"));
    expect(outbox.map((o) => [o.toMasked, o.body])).toEqual([["138****8000", TEMPLATE_A]]);
  });

  it("defers a reminder at night to 10:00 and queues nothing yet, but holds the cap slot", async () => {
    const ctx = await parcelContext({ at: "2026-11-28T22:15:00+08:00" });
    const partner = await aPartner(ctx);
    await aCampaign(ctx);

    const [first, second] = await decide(ctx, partner, [anEvent(), anEvent({ kind: "out_for_delivery" })]);

    expect(first).toEqual({
      index: 0,
      status: "deferred",
      reason: "quiet_hours",
      deferredUntil: new Date("2026-11-29T10:00:00+08:00").toISOString(),
    });
    expect(second).toEqual({ index: 1, status: "suppressed", reason: "capped_1d" });
    expect(await rows(ctx)).toEqual({ events: 2, sms: 0, reservations: 1 });
  });

  it("returns the text for an attach partner and queues no SMS", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx, { channel: "attach" });
    await aCampaign(ctx);

    const [result] = await decide(ctx, partner, [anEvent()]);

    expect(result).toEqual({ index: 0, status: "attached", text: TEMPLATE_A });
    expect(await rows(ctx)).toEqual({ events: 1, sms: 0, reservations: 1 });
  });

  it("suppresses an opted-out recipient, whatever spelling of the number the partner uses", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    await ctx.deps.db.insert(optOuts).values({
      recipientHash: ctx.deps.pii.hash("+8613800138000"),
      recipientMasked: "138****8000",
      source: "inbound",
      keyword: "R",
    });

    const results = await decide(ctx, partner, [anEvent({ recipientPhone: "+86 138-0013-8000" })]);

    expect(results).toEqual([{ index: 0, status: "suppressed", reason: "opted_out" }]);
    expect(await rows(ctx)).toEqual({ events: 1, sms: 0, reservations: 0 });
  });

  it("suppresses with no_campaign when no campaign targets the area", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx, { areaPrefixes: ["652301105202"] });

    const results = await decide(ctx, partner, [anEvent({ area: { code: "652301105201" } })]);

    expect(results).toEqual([{ index: 0, status: "suppressed", reason: "no_campaign" }]);
  });

  it("sends one reminder per recipient per day across parcels, and a second one the next day", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);

    const today = await decide(ctx, partner, [
      anEvent(),
      anEvent(),
      anEvent({ recipientPhone: "13900139000" }),
    ]);
    ctx.clock.advance(24 * 3_600_000);
    const tomorrow = await decide(ctx, partner, [anEvent()]);
    ctx.clock.advance(24 * 3_600_000);
    const dayAfter = await decide(ctx, partner, [anEvent()]);

    expect(today.map((r) => r.reason ?? r.status)).toEqual(["scheduled", "capped_1d", "scheduled"]);
    expect(tomorrow.map((r) => r.status)).toEqual(["scheduled"]);
    expect(dayAfter).toEqual([{ index: 0, status: "suppressed", reason: "capped_7d" }]);
  });

  it("rotates a campaign's templates evenly and counts their uses", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx, { channel: "attach" });
    const campaign = await aCampaign(ctx, { templates: [TEMPLATE_A, TEMPLATE_B] });
    const phones = ["13800138001", "13800138002", "13800138003", "13800138004", "13800138005"];

    const first = await decide(
      ctx,
      partner,
      phones.slice(0, 3).map((recipientPhone) => anEvent({ recipientPhone })),
    );
    const second = await decide(
      ctx,
      partner,
      phones.slice(3).map((recipientPhone) => anEvent({ recipientPhone })),
    );

    expect([...first, ...second].map((r) => r.text)).toEqual([
      TEMPLATE_A,
      TEMPLATE_B,
      TEMPLATE_A,
      TEMPLATE_B,
      TEMPLATE_A,
    ]);
    const uses = await ctx.deps.db.query.campaignTemplates.findMany({ columns: { id: true, uses: true } });
    expect(uses.sort((a, b) => a.id.localeCompare(b.id)).map((u) => u.uses)).toEqual([3, 2]);
    expect(uses.map((u) => u.id).sort()).toEqual([...campaign.templateIds].sort());
  });

  it("prefers the urgent campaign over the standing one", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx, { channel: "attach" });
    await aCampaign(ctx, { templates: [TEMPLATE_A], priority: 0, areaPrefixes: ["652301105201"] });
    await aCampaign(ctx, { templates: [TEMPLATE_B], priority: 50, areaPrefixes: [] });

    const [result] = await decide(ctx, partner, [anEvent()]);

    expect(result?.text).toBe(TEMPLATE_B);
  });
});

describe("POST /v1/partners/{partnerId}/parcel-events: duplicates and idempotency", () => {
  it("reports a repeated (waybill, kind) as a duplicate, within a batch and across batches, and sends once", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const event = anEvent();

    const first = await decide(ctx, partner, [event, event, { ...event, kind: "delivered" }]);
    const again = await decide(ctx, partner, [event]);

    expect(first.map((r) => r.status)).toEqual(["scheduled", "duplicate", "suppressed"]);
    expect(first[1]?.messageId).toBe(first[0]?.messageId);
    expect(again).toEqual([{ index: 0, status: "duplicate", messageId: first[0]?.messageId }]);
    expect(await rows(ctx)).toEqual({ events: 2, sms: 1, reservations: 1 });
  });

  it("answers a retried request with the same Idempotency-Key with the stored response", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const body = { events: [anEvent(), anEvent({ recipientPhone: "12" })] };

    const first = await postEvents(ctx, partner, body, { "idempotency-key": "batch-0001" });
    const replay = await postEvents(ctx, partner, body, { "idempotency-key": "batch-0001" });

    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(await first.json());
    expect(await rows(ctx)).toEqual({ events: 1, sms: 1, reservations: 1 });
  });

  it("refuses the same Idempotency-Key with a different body with 422 and does nothing", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    await postEvents(ctx, partner, { events: [anEvent()] }, { "idempotency-key": "batch-0002" });

    const res = await postEvents(ctx, partner, { events: [anEvent()] }, { "idempotency-key": "batch-0002" });

    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await rows(ctx)).toEqual({ events: 1, sms: 1, reservations: 1 });
  });

  it("keeps one partner's Idempotency-Keys apart from another's", async () => {
    const ctx = await parcelContext();
    const a = await aPartner(ctx);
    const b = await aPartner(ctx);
    await aCampaign(ctx);

    const resA = await postEvents(ctx, a, { events: [anEvent()] }, { "idempotency-key": "same" });
    const resB = await postEvents(
      ctx,
      b,
      { events: [anEvent({ recipientPhone: "13900139000" })] },
      { "idempotency-key": "same" },
    );

    expect([resA.status, resB.status]).toEqual([200, 200]);
    expect(resB.headers.get("idempotent-replayed")).toBeNull();
    expect(await rows(ctx)).toEqual({ events: 2, sms: 2, reservations: 2 });
  });
});

describe("POST /v1/partners/{partnerId}/parcel-events: bad input", () => {
  it("decides the good events of a batch and rejects the bad ones with the fields that are wrong", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx, { channel: "attach" });
    await aCampaign(ctx);

    const res = await postEvents(ctx, partner, {
      events: [
        anEvent(),
        anEvent({ recipientPhone: "12345" }),
        anEvent({ kind: "lost_in_space", occurredAt: "yesterday" }),
        { waybillNo: "x" },
        anEvent({ area: { code: "Changji" }, recipientPhone: "13900139000" }),
        anEvent({ occurredAt: "2026-12-05T09:00:00+08:00", recipientPhone: "13900139000" }),
        "not an object",
        anEvent({ recipientPhone: "13900139000" }),
      ],
    });

    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Result[] };
    expect(results.map((r) => r.status)).toEqual([
      "attached",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "attached",
    ]);
    expect(results[1]?.errors?.map((e) => e.path)).toEqual(["recipientPhone"]);
    expect(results[2]?.errors?.map((e) => e.path).sort()).toEqual(["kind", "occurredAt"]);
    expect(results[3]?.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["waybillNo", "kind", "recipientPhone", "area", "occurredAt"]),
    );
    expect(results[4]?.errors?.map((e) => e.path)).toEqual(["area.code"]);
    expect(results[5]?.errors?.map((e) => e.path)).toEqual(["occurredAt"]);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await rows(ctx)).toEqual({ events: 2, sms: 0, reservations: 2 });
  });

  describe.each([
    ["an empty batch", { events: [] }, 400, "VALIDATION_FAILED"],
    ["a batch over 1,000", { events: Array.from({ length: 1001 }, () => ({})) }, 400, "VALIDATION_FAILED"],
    ["no events array", { parcels: [anEvent()] }, 400, "VALIDATION_FAILED"],
    ["a JSON array body", [anEvent()], 400, "VALIDATION_FAILED"],
    ["a JSON null body", "null", 400, "VALIDATION_FAILED"],
    ["malformed JSON", '{"events": [', 400, "MALFORMED_JSON"],
  ])("rejects %s", (_name, body, status, code) => {
    it(`with ${status} ${code} and stores nothing`, async () => {
      const ctx = await parcelContext();
      const partner = await aPartner(ctx);
      await aCampaign(ctx);
      const res = await postEvents(ctx, partner, body);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { code: string }).code).toBe(code);
      expect(await rows(ctx)).toEqual({ events: 0, sms: 0, reservations: 0 });
    });
  });

  it("rejects a non-JSON content type with 415, a body over 1 MiB with 413, a bad Idempotency-Key with 400", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const text = await postEvents(ctx, partner, "hello", { "content-type": "text/plain" });
    const big = await postEvents(ctx, partner, {
      events: [anEvent({ pickupPoint: "x".repeat(1024 * 1024) })],
    });
    const badKey = await postEvents(
      ctx,
      partner,
      { events: [anEvent()] },
      { "idempotency-key": "has spaces in it" },
    );

    expect([text.status, big.status, badKey.status]).toEqual([415, 413, 400]);
    expect(((await badKey.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("Idempotency-Key");
    expect(await rows(ctx)).toEqual({ events: 0, sms: 0, reservations: 0 });
  });
});

describe("partner authentication", () => {
  it.each([
    ["no Authorization header", undefined],
    ["an unknown key", "Bearer pk_nobody"],
    ["a malformed header", "Basic abc"],
  ])("answers 401 for %s and stores nothing", async (_name, authorization) => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const res = await ctx.app.request(`/v1/partners/${partner.id}/parcel-events`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ events: [anEvent()] }),
    });
    expect(res.status).toBe(401);
    expect(await rows(ctx)).toEqual({ events: 0, sms: 0, reservations: 0 });
  });

  it("answers 404 to a partner posting under another partner's id, as for an id that does not exist", async () => {
    const ctx = await parcelContext();
    const mine = await aPartner(ctx);
    const theirs = await aPartner(ctx);
    const asOther = await postEvents(ctx, { id: theirs.id, apiKey: mine.apiKey }, { events: [anEvent()] });
    const asNobody = await postEvents(
      ctx,
      { id: "par_nobody", apiKey: mine.apiKey },
      { events: [anEvent()] },
    );

    expect([asOther.status, asNobody.status]).toEqual([404, 404]);
    const [a, b] = [(await asOther.json()) as object, (await asNobody.json()) as object];
    expect({ ...a, requestId: 0 }).toEqual({ ...b, requestId: 0 });
    expect(await rows(ctx)).toEqual({ events: 0, sms: 0, reservations: 0 });
  });
});

describe("GET /v1/partners/{partnerId}/parcel-events/{waybillNo}", () => {
  it("explains each event's decision with the phone masked for parcel output", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const event = anEvent({ kind: "registered", occurredAt: "2026-11-28T08:00:00+08:00" });
    await decide(ctx, partner, [
      event,
      { ...event, kind: "arrived_at_pickup_point", occurredAt: "2026-11-28T10:00:00+08:00" },
    ]);

    const res = await ctx.app.request(`/v1/partners/${partner.id}/parcel-events/${event.waybillNo}`, {
      headers: { authorization: `Bearer ${partner.apiKey}` },
    });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: Record<string, unknown>[] };
    expect(body.events.map((e) => [e.kind, e.decision, e.reason])).toEqual([
      ["registered", "scheduled", null],
      ["arrived_at_pickup_point", "suppressed", "capped_1d"],
    ]);
    expect(body.events[0]).toMatchObject({
      recipient: "138******00",
      messageId: expect.stringMatching(/^msg_/),
      sms: { status: "queued" },
      text: TEMPLATE_A,
    });
    expect(body.events[1]?.explanation).toContain("1d");
    expect(JSON.stringify(body)).not.toContain("13800138000");
  });

  it("answers 404 for another partner's waybill, like one that does not exist", async () => {
    const ctx = await parcelContext();
    const mine = await aPartner(ctx);
    const theirs = await aPartner(ctx);
    await aCampaign(ctx);
    const event = anEvent();
    await decide(ctx, theirs, [event]);

    const viaMyPath = await ctx.app.request(`/v1/partners/${mine.id}/parcel-events/${event.waybillNo}`, {
      headers: { authorization: `Bearer ${mine.apiKey}` },
    });
    const viaTheirPath = await ctx.app.request(`/v1/partners/${theirs.id}/parcel-events/${event.waybillNo}`, {
      headers: { authorization: `Bearer ${mine.apiKey}` },
    });

    expect([viaMyPath.status, viaTheirPath.status]).toEqual([404, 404]);
  });
});
