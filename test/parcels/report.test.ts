import { eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { optOuts, smsMessages } from "../../schema";
import { addDays, shanghaiDate } from "../../src/calendar";
import type { TestContext } from "../support/context";
import { aPartner, type TestPartner } from "../support/partners";
import { aCampaign, anEvent, decide, parcelContext, warmDatabase } from "./support";

beforeAll(warmDatabase);

type Row = Record<string, unknown> & { day: string; partnerId: string };

/**
 * Day 1 (28 Nov): courier A reports six events (three reminders sent, one capped, one opted out, one outside
 * every campaign), courier B (attach) one; day 2 at night courier A one more, deferred. Of A's three SMS two are
 * delivered, 4 s and 10 s after submit, one fails.
 */
async function smallDataSet() {
  const ctx = await parcelContext({ at: "2026-11-28T10:30:00+08:00" });
  const a = await aPartner(ctx, { id: "par_courier_a" });
  const b = await aPartner(ctx, { id: "par_courier_b", channel: "attach" });
  await aCampaign(ctx, { areaPrefixes: ["652301"] });
  await ctx.deps.db.insert(optOuts).values({
    recipientHash: ctx.deps.pii.hash("+8613800138004"),
    recipientMasked: "138****8004",
    source: "admin",
  });
  const day1 = await decide(ctx, a, [
    anEvent({ recipientPhone: "13800138001" }),
    anEvent({ recipientPhone: "13800138001" }),
    anEvent({ recipientPhone: "13800138002" }),
    anEvent({ recipientPhone: "13800138003" }),
    anEvent({ recipientPhone: "13800138004" }),
    anEvent({ recipientPhone: "13800138009", area: { code: "110101" } }),
  ]);
  await decide(ctx, b, [anEvent({ recipientPhone: "13800138005" })]);
  ctx.clock.set("2026-11-29T22:00:00+08:00");
  await decide(ctx, a, [anEvent({ recipientPhone: "13800138006", occurredAt: "2026-11-29T21:00:00+08:00" })]);

  const [m1, m2, m3] = [day1[0]?.messageId, day1[2]?.messageId, day1[3]?.messageId] as [
    string,
    string,
    string,
  ];
  const at = (time: string) => new Date(`2026-11-28T${time}+08:00`);
  // SMS times are the database's; set them to the story's so the figures are exact.
  await ctx.deps.db
    .update(smsMessages)
    .set({ createdAt: at("10:30:00"), submittedAt: at("10:30:01") })
    .where(inArray(smsMessages.id, [m1, m2, m3]));
  await ctx.deps.db
    .update(smsMessages)
    .set({ status: "delivered", finishedAt: at("10:30:05") })
    .where(eq(smsMessages.id, m1));
  await ctx.deps.db
    .update(smsMessages)
    .set({ status: "delivered", finishedAt: at("10:30:11") })
    .where(eq(smsMessages.id, m2));
  await ctx.deps.db
    .update(smsMessages)
    .set({ status: "failed", finishedAt: at("10:30:02") })
    .where(eq(smsMessages.id, m3));
  return { ctx, a, b };
}

function get(ctx: TestContext, path: string, authorization: string, accept = "application/json") {
  return ctx.app.request(path, { headers: { authorization, accept } });
}

const RANGE = "from=2026-11-28&to=2026-11-29";

describe("GET /v1/reports/sms", () => {
  it("states each day's figures per partner", async () => {
    const { ctx } = await smallDataSet();
    const token = await ctx.login("supervisor");

    const res = await get(ctx, `/v1/reports/sms?${RANGE}`, `Bearer ${token}`);

    expect(res.status).toBe(200);
    const { rows } = (await res.json()) as { rows: Row[] };
    expect(rows.map((r) => [r.day, r.partnerId])).toEqual([
      ["2026-11-28", "par_courier_a"],
      ["2026-11-28", "par_courier_b"],
      ["2026-11-29", "par_courier_a"],
    ]);
    expect(rows[0]).toMatchObject({
      eventsReceived: 6,
      scheduled: 3,
      attached: 0,
      deferred: 0,
      suppressed: 3,
      suppressedByReason: { capped_1d: 1, opted_out: 1, no_campaign: 1 },
      submitted: 3,
      delivered: 2,
      failed: 1,
      expired: 0,
      deliveryRate: 0.6667,
      medianSubmitToDeliveredSeconds: 7,
      uniqueRecipientsReached: 2,
      partsUsed: 3,
    });
    expect(rows[1]).toMatchObject({
      eventsReceived: 1,
      attached: 1,
      scheduled: 0,
      submitted: 0,
      deliveryRate: null,
    });
    expect(rows[2]).toMatchObject({ eventsReceived: 1, deferred: 1, scheduled: 0, suppressed: 0 });
  });

  it("covers the last 7 days, today included, when no range is given, as the alert report does", async () => {
    const { ctx } = await smallDataSet();
    const token = await ctx.login("supervisor");

    const res = await get(ctx, "/v1/reports/sms", `Bearer ${token}`);

    expect(res.status).toBe(200);
    const body = (await res.json()) as { from: string; to: string };
    const today = shanghaiDate(ctx.deps.clock.now());
    expect(body).toMatchObject({ from: addDays(today, -6), to: today });
  });

  it("answers CSV with Accept: text/csv, one line per day and partner, a column per suppression reason", async () => {
    const { ctx } = await smallDataSet();
    const token = await ctx.login("admin");

    const res = await get(
      ctx,
      `/v1/reports/sms?${RANGE}&partnerId=par_courier_a`,
      `Bearer ${token}`,
      "text/csv",
    );

    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const bytes = new Uint8Array(await res.clone().arrayBuffer());
    // A UTF-8 byte-order mark, or Excel on Chinese Windows reads the file as GBK (text() strips it).
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...lines] = (await res.text()).trim().split("\r\n");
    const columns = header?.split(",") ?? [];
    expect(columns).toEqual(
      expect.arrayContaining([
        "day",
        "eventsReceived",
        "suppressed_opted_out",
        "suppressed_capped_1d",
        "suppressed_capped_7d",
        "deliveryRate",
      ]),
    );
    expect(lines).toHaveLength(2);
    const first = Object.fromEntries(columns.map((c, i) => [c, lines[0]?.split(",")[i]]));
    expect(first).toMatchObject({
      day: "2026-11-28",
      partnerId: "par_courier_a",
      eventsReceived: "6",
      suppressed_capped_1d: "1",
      suppressed_capped_7d: "0",
      delivered: "2",
      medianSubmitToDeliveredSeconds: "7",
    });
  });

  it("is for supervisors and admins of the station; officers get 403, another station sees nothing of it", async () => {
    const { ctx } = await smallDataSet();
    const officer = await ctx.login("miaogong");
    const otherAdmin = await ctx.login("otheradmin");

    const asOfficer = await get(ctx, `/v1/reports/sms?${RANGE}`, `Bearer ${officer}`);
    const asOther = await get(ctx, `/v1/reports/sms?${RANGE}`, `Bearer ${otherAdmin}`);
    const asOtherNamed = await get(
      ctx,
      `/v1/reports/sms?${RANGE}&partnerId=par_courier_a`,
      `Bearer ${otherAdmin}`,
    );

    expect(asOfficer.status).toBe(403);
    expect(((await asOther.json()) as { rows: Row[] }).rows).toEqual([]);
    expect(asOtherNamed.status).toBe(404);
  });

  it.each([
    ["to before from", "from=2026-11-29&to=2026-11-28", "to"],
    ["a bad date", "from=2026-11-31x&to=2026-11-30", "from"],
    ["a range over a year", "from=2025-01-01&to=2026-11-30", "to"],
  ])("refuses %s with 400 naming the field", async (_name, query, path) => {
    const ctx = await parcelContext();
    const token = await ctx.login("supervisor");
    const res = await get(ctx, `/v1/reports/sms?${query}`, `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
  });
});

describe("GET /v1/partners/{partnerId}/reports/sms", () => {
  it("gives a partner its own rows only, and 404 for another partner's", async () => {
    const { ctx, a, b } = await smallDataSet();
    const asPartner = (p: TestPartner, id: string) =>
      get(ctx, `/v1/partners/${id}/reports/sms?${RANGE}`, `Bearer ${p.apiKey}`);

    const own = await asPartner(b, b.id);
    const others = await asPartner(b, a.id);

    expect(own.status).toBe(200);
    const { rows } = (await own.json()) as { rows: Row[] };
    expect(rows.map((r) => r.partnerId)).toEqual(["par_courier_b"]);
    expect(others.status).toBe(404);
  });
});
