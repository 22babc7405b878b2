import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { RateLimiter, type RateScope } from "../../src/sms/rate/limiter";
import { freshDatabase } from "../support/db";
import { migrateOnceBeforeAll } from "../support/sms";

migrateOnceBeforeAll();

/** Slow scopes, so the few milliseconds each decision takes do not blur what is asserted. */
const scope = (key: string, partsPerSecond: number, burst: number, urgentReserve = 0): RateScope => ({
  key,
  partsPerSecond,
  burst,
  urgentReserve,
});

async function limiter() {
  const { database } = await freshDatabase();
  return { limiter: new RateLimiter(database.db), db: database.db };
}

/**
 * The limiter decides by the database's clock, which a test cannot stop. Waits are checked against what
 * that clock can have done: between a test's first take and a decision, the database's clock moved at most
 * as far as this process's (measured around both), so a wait of `exact` ms at the first take is, at the
 * decision, between `exact - elapsed` and `exact`. Rates are slow enough (a token every 4-5 s) that a busy
 * machine cannot let a refused token become due before it is asked for.
 */
function stopwatch() {
  const started = performance.now();
  return { elapsed: () => Math.ceil(performance.now() - started) + 1 };
}

async function tatOf(db: Awaited<ReturnType<typeof limiter>>["db"], key: string): Promise<number> {
  const [row] = await queryRows<{ tat: string }>(db, sql`select tat from rate_limits where key = ${key}`);
  return new Date(row?.tat as string).getTime();
}

describe("the shared GCRA limiter", () => {
  it("grants the burst at once, then refuses with the time until the next token", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 0.2, 4);
    const clock = stopwatch();

    const first = [];
    for (let i = 0; i < 4; i++) first.push(await l.take([s], 1, "bulk"));
    const fifth = await l.take([s], 1, "bulk");

    expect(first.map((d) => d.granted)).toEqual([true, true, true, true]);
    expect(fifth.granted).toBe(false);
    // 0.2 parts/s: the next token is 5 s after the burst, less the time the decisions took.
    expect(fifth.waitMs).toBeGreaterThanOrEqual(5000 - clock.elapsed());
    expect(fifth.waitMs).toBeLessThanOrEqual(5000);
  });

  it("takes a message's parts together: a two-part SMS needs two tokens", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 0.25, 3);
    const clock = stopwatch();

    expect((await l.take([s], 2, "bulk")).granted).toBe(true);
    const next = await l.take([s], 2, "bulk");
    expect(next.granted).toBe(false);
    // One token short at 0.25 parts/s: 4 s.
    expect(next.waitMs).toBeGreaterThanOrEqual(4000 - clock.elapsed());
    expect(next.waitMs).toBeLessThanOrEqual(4000);
    expect((await l.take([s], 1, "bulk")).granted).toBe(true);
  });

  it("lets a message larger than the burst through from an idle scope instead of refusing it forever", async () => {
    const { limiter: l } = await limiter();
    expect((await l.take([scope("ch:test", 1, 1)], 3, "bulk")).granted).toBe(true);
  });

  it("decides every scope together: a refusal by one takes nothing from the other", async () => {
    const { limiter: l, db } = await limiter();
    const global = scope("ch:test", 100, 20);
    const partner = scope("par:a", 1, 1);

    expect((await l.take([global, partner], 1, "bulk")).granted).toBe(true);
    const before = await tatOf(db, "ch:test");
    const refused = await l.take([partner, global], 1, "bulk");

    expect(refused.granted).toBe(false);
    expect(await tatOf(db, "ch:test")).toBe(before);
  });

  it("never refuses urgent, gives it the reserve bulk cannot touch, and makes bulk wait behind it", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 0.25, 4, 2); // bulk may use 2 of the burst of 4; 2 are kept for urgent
    const clock = stopwatch();

    expect((await l.take([s], 1, "bulk")).granted).toBe(true);
    expect((await l.take([s], 1, "bulk")).granted).toBe(true);
    expect((await l.take([s], 1, "bulk")).granted).toBe(false);

    const urgent = await l.take([s], 2, "urgent");
    expect(urgent).toEqual({ granted: true, waitMs: 0 });
    // Beyond the reserve urgent still goes, at the rate: its slot is one token (4 s) away.
    const more = await l.take([s], 1, "urgent");
    expect(more.granted).toBe(true);
    expect(more.waitMs).toBeGreaterThanOrEqual(4000 - clock.elapsed());
    expect(more.waitMs).toBeLessThanOrEqual(4000);
    // Bulk now waits for everything urgent took: four tokens, and the reserve it may not touch.
    const bulk = await l.take([s], 1, "bulk");
    expect(bulk.granted).toBe(false);
    expect(bulk.waitMs).toBeGreaterThanOrEqual(16000 - clock.elapsed());
    expect(bulk.waitMs).toBeLessThanOrEqual(16000);
  });

  it("backs every taker off when the provider says so (429 Retry-After)", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 10, 5, 2);
    await l.penalize(s, 3000);

    const urgent = await l.take([s], 1, "urgent");
    expect(urgent.granted).toBe(true);
    expect(urgent.waitMs).toBeGreaterThan(2800);
    expect((await l.take([s], 1, "bulk")).granted).toBe(false);
  });
});
