import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { RateLimiter, type RateScope } from "../../src/sms/rate/limiter";
import { freshDatabase } from "../support/db";

/**
 * Many takers at once on a connection pool. PostgreSQL only (vitest.config.ts): on PGlite's single
 * connection the takers' transactions take turns, so the race this guards against cannot happen there.
 * Moved from limiter.test.ts, with its windows made safe against a busy machine (below).
 */
const scope = (key: string, partsPerSecond: number, burst: number): RateScope => ({
  key,
  partsPerSecond,
  burst,
  urgentReserve: 0,
});

describe("the shared GCRA limiter", () => {
  it("holds its rate under many concurrent takers in one process", async () => {
    const { database } = await freshDatabase();
    const l = new RateLimiter(database.db);
    const s = scope("ch:test", 20, 4);
    // Each grant happened, by the database's clock, somewhere between asking and hearing back.
    const grants: { asked: number; heard: number }[] = [];
    const until = performance.now() + 2_000;
    const taker = async () => {
      // Two seconds of taking, and past them until 30 grants, however slow the machine.
      while (performance.now() < until || (grants.length < 30 && performance.now() < until + 30_000)) {
        const asked = performance.now();
        const d = await l.take([s], 1, "bulk");
        if (d.granted) grants.push({ asked, heard: performance.now() });
        else await new Promise((r) => setTimeout(r, d.waitMs));
      }
    };
    await Promise.all(Array.from({ length: 12 }, taker));

    // The grants certainly inside a one-second window: asked at or after its start, heard before its end.
    // Scheduling delays only widen a grant's interval, so they can hide an excess but never invent one.
    let worst = 0;
    for (const start of grants.map((g) => g.asked)) {
      const inside = grants.filter((g) => g.asked >= start && g.heard < start + 1000).length;
      worst = Math.max(worst, inside);
    }
    // 20/s with a burst of 4: never more than 24 in any second; and the takers did get most of it.
    expect(worst).toBeLessThanOrEqual(24);
    expect(grants.length).toBeGreaterThanOrEqual(30);
  });

  it("counts a grant from when it was made, not from when the taker started waiting for another", async () => {
    const { database } = await freshDatabase();
    const l = new RateLimiter(database.db);
    // One part every 500 ms, one at a time: two grants within 500 ms of each other break the rate.
    const s = scope("ch:test", 2, 1);
    await l.take([s], 1, "bulk");
    await sleep(600);

    // Another taker holds the scope's row for 1.2 s; the next decision queues behind it.
    let released = 0;
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`select tat from rate_limits where key = ${s.key} for update`);
      await sleep(1_200);
      released = performance.now();
    });
    await sleep(100);
    const queued = await l.take([s], 1, "bulk");
    await holder;
    const granted = performance.now();
    const next = await l.take([s], 1, "bulk");

    expect(queued.granted).toBe(true);
    // The next part is due 500 ms after the queued grant was made (after the release), less the time
    // since. Counted from when the queued taker began to wait, it would have been due 700 ms earlier.
    const since = Math.ceil(performance.now() - released) + 1;
    expect(next.granted).toBe(false);
    expect(next.waitMs).toBeGreaterThanOrEqual(500 - since);
    expect(granted).toBeGreaterThanOrEqual(released);
  });
});
