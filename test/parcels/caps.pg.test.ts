import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parcelEvents, reminderReservations } from "../../schema";
import { aPartner } from "../support/partners";
import { aCampaign, anEvent, parcelContext, postEvents, type Result } from "./support";

/**
 * Concurrent batches of parcel events, on separate connections. PostgreSQL only (vitest.config.ts): on
 * PGlite's single connection the batches take turns, so neither a deadlock nor a race could happen there.
 * Moved here unchanged from caps.test.ts.
 */
describe("frequency caps across partners", () => {
  it("does not deadlock when concurrent batches name the same recipients in different orders", async () => {
    const ctx = await parcelContext();
    const partners = [await aPartner(ctx), await aPartner(ctx), await aPartner(ctx)];
    await aCampaign(ctx);
    const phones = Array.from({ length: 20 }, (_, i) => `139${String(i).padStart(8, "0")}`);
    const orders = [phones, [...phones].reverse(), [...phones.slice(10), ...phones.slice(0, 10)]];

    const responses = await Promise.all(
      orders.map((order, i) =>
        postEvents(ctx, partners[i] as (typeof partners)[number], {
          events: order.map((recipientPhone) => anEvent({ recipientPhone })),
        }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const scheduled = await ctx.deps.db
      .select({ hash: parcelEvents.recipientHash })
      .from(parcelEvents)
      .where(eq(parcelEvents.decision, "scheduled"));
    expect(scheduled).toHaveLength(20);
    expect(new Set(scheduled.map((s) => s.hash)).size).toBe(20);
  });

  it("reports one of two concurrent posts of the same waybill as a duplicate, even under different numbers", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const event = anEvent();

    const responses = await Promise.all([
      postEvents(ctx, partner, { events: [event] }),
      postEvents(ctx, partner, { events: [{ ...event, recipientPhone: "13900139000" }] }),
    ]);

    const statuses = (
      await Promise.all(
        responses.map(async (r) => ((await r.json()) as { results: Result[] }).results[0]?.status),
      )
    ).sort();
    expect(statuses).toEqual(["duplicate", "scheduled"]);
    const [events] = await ctx.deps.db.select({ n: count() }).from(parcelEvents);
    const [slots] = await ctx.deps.db.select({ n: count() }).from(reminderReservations);
    expect([events?.n, slots?.n]).toEqual([1, 1]);
  });
});
