import { describe, expect, it } from "vitest";
import { smsMessages } from "../../schema";
import { releaseDeferredReminders } from "../../src/parcels/release";
import { deferredAtNight, OPENING } from "./support";

/**
 * Two release runs at the same moment, on separate connections. PostgreSQL only (vitest.config.ts): on
 * PGlite's single connection they would take turns. The redelivered tick stays in release.test.ts.
 */
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
