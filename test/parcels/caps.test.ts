import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { reminderReservations, smsMessages } from "../../schema";
import { aPartner } from "../support/partners";
import {
  aCampaign,
  anEvent,
  DAY,
  decide,
  parcelContext,
  postEvents,
  type Result,
  warmDatabase,
} from "./support";

beforeAll(warmDatabase);

describe("frequency caps across partners", () => {
  it("allows the next reminder exactly one day later, not a minute before", async () => {
    const ctx = await parcelContext({ at: "2026-11-28T10:30:00+08:00" });
    const a = await aPartner(ctx);
    const b = await aPartner(ctx);
    await aCampaign(ctx);

    const first = await decide(ctx, a, [anEvent()]);
    ctx.clock.advance(DAY - 60_000);
    const minuteEarly = await decide(ctx, b, [anEvent()]);
    ctx.clock.advance(60_000);
    const onTheDay = await decide(ctx, b, [anEvent()]);

    expect(first[0]?.status).toBe("scheduled");
    expect(minuteEarly[0]).toMatchObject({ status: "suppressed", reason: "capped_1d" });
    expect(onTheDay[0]?.status).toBe("scheduled");
  });

  it("allows a third reminder exactly seven days after the first, not a minute before", async () => {
    const ctx = await parcelContext({ at: "2026-11-20T12:00:00+08:00" });
    const partner = await aPartner(ctx);
    await aCampaign(ctx);

    const first = await decide(ctx, partner, [anEvent({ occurredAt: ctx.clock.now().toISOString() })]);
    ctx.clock.advance(3 * DAY);
    const second = await decide(ctx, partner, [anEvent({ occurredAt: ctx.clock.now().toISOString() })]);
    ctx.clock.advance(4 * DAY - 60_000);
    const minuteEarly = await decide(ctx, partner, [anEvent({ occurredAt: ctx.clock.now().toISOString() })]);
    ctx.clock.advance(60_000);
    const onTheDay = await decide(ctx, partner, [anEvent({ occurredAt: ctx.clock.now().toISOString() })]);

    expect([first[0]?.status, second[0]?.status]).toEqual(["scheduled", "scheduled"]);
    expect(minuteEarly[0]).toMatchObject({ status: "suppressed", reason: "capped_7d" });
    expect(onTheDay[0]?.status).toBe("scheduled");
  });

  it("reads its windows from REMINDER_CAPS", async () => {
    const ctx = await parcelContext({ env: { REMINDER_CAPS: "3/12h" } });
    const partner = await aPartner(ctx, { channel: "attach" });
    await aCampaign(ctx);

    const results = await decide(ctx, partner, [anEvent(), anEvent(), anEvent(), anEvent()]);

    expect(results.map((r) => r.reason ?? r.status)).toEqual([
      "attached",
      "attached",
      "attached",
      "capped_12h",
    ]);
  });

  it("never reserves beyond the cap when two partners post events for one recipient at the same moment", async () => {
    const ctx = await parcelContext();
    const partners = [await aPartner(ctx), await aPartner(ctx)];
    await aCampaign(ctx);

    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postEvents(ctx, partners[i % 2] as (typeof partners)[number], {
          events: [
            anEvent({ recipientPhone: "+86 138 0013 8000" }),
            anEvent({ recipientPhone: "13800138000" }),
          ],
        }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const results = (
      await Promise.all(responses.map(async (r) => ((await r.json()) as { results: Result[] }).results))
    ).flat();
    expect(results.filter((r) => r.status === "scheduled")).toHaveLength(1);
    expect(results.filter((r) => r.reason === "capped_1d")).toHaveLength(15);
    const hash = ctx.deps.pii.hash("+8613800138000");
    const [slots] = await ctx.deps.db
      .select({ n: count() })
      .from(reminderReservations)
      .where(eq(reminderReservations.recipientHash, hash));
    const [sms] = await ctx.deps.db.select({ n: count() }).from(smsMessages);
    expect([slots?.n, sms?.n]).toEqual([1, 1]);
  });
});
