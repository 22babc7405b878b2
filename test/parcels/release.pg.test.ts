import { describe, expect, it } from "vitest";
import { smsMessages } from "../../schema";
import { releaseDeferredReminders } from "../../src/parcels/release";
import { aCampaign, anEvent, aPartner, decide, parcelContext } from "./support";

/**
 * Two release runs at the same moment, on separate connections. PostgreSQL only (vitest.config.ts): on
 * PGlite's single connection they would take turns. The redelivered tick stays in release.test.ts.
 */
const NIGHT = "2026-11-28T22:30:00+08:00";
const OPENING = "2026-11-29T10:00:00+08:00";

async function deferredAtNight(phones: string[]) {
  const ctx = await parcelContext({ at: NIGHT });
  const partner = await aPartner(ctx);
  await aCampaign(ctx);
  const events = phones.map((recipientPhone, i) =>
    anEvent({ recipientPhone, occurredAt: `2026-11-28T${20 - i}:00:00+08:00` }),
  );
  const results = await decide(ctx, partner, events);
  expect(results.every((r) => r.status === "deferred")).toBe(true);
  return { ctx, partner, events };
}

describe("releasing reminders deferred by quiet hours", () => {
  it("sends each deferred reminder once when two runs race and when the tick is redelivered", async () => {
    const { ctx } = await deferredAtNight(["13800138001", "13800138002", "13800138003", "13800138004"]);
    ctx.clock.set(OPENING);

    const [a, b] = await Promise.all([
      releaseDeferredReminders(ctx.deps, ctx.deps.log, { batchSize: 2 }),
      releaseDeferredReminders(ctx.deps, ctx.deps.log, { batchSize: 2 }),
    ]);
    const again = await releaseDeferredReminders(ctx.deps, ctx.deps.log);

    expect(a.released + b.released).toBe(4);
    expect(again).toEqual({ released: 0, suppressed: 0 });
    expect(await ctx.deps.db.select().from(smsMessages)).toHaveLength(4);
  });
});
