import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { RateLimiter, type RateScope } from "../../src/sms/limiter";
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

async function tatOf(db: Awaited<ReturnType<typeof limiter>>["db"], key: string): Promise<number> {
  const [row] = await queryRows<{ tat: string }>(db, sql`select tat from rate_limits where key = ${key}`);
  return new Date(row?.tat as string).getTime();
}

describe("the shared GCRA limiter", () => {
  it("grants the burst at once, then refuses with the time until the next token", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 2, 4);

    const first = [];
    for (let i = 0; i < 4; i++) first.push(await l.take([s], 1, "bulk"));
    const fifth = await l.take([s], 1, "bulk");

    expect(first.map((d) => d.granted)).toEqual([true, true, true, true]);
    expect(fifth.granted).toBe(false);
    // 2 parts/s: the next token is 500 ms after the burst, less the time the decisions took.
    expect(fifth.waitMs).toBeGreaterThan(250);
    expect(fifth.waitMs).toBeLessThanOrEqual(500);
  });

  it("takes a message's parts together: a two-part SMS needs two tokens", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 1, 3);

    expect((await l.take([s], 2, "bulk")).granted).toBe(true);
    const next = await l.take([s], 2, "bulk");
    expect(next.granted).toBe(false);
    expect(next.waitMs).toBeGreaterThan(700);
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
    const s = scope("ch:test", 1, 4, 2); // bulk may use 2 of the burst of 4; 2 are kept for urgent

    expect((await l.take([s], 1, "bulk")).granted).toBe(true);
    expect((await l.take([s], 1, "bulk")).granted).toBe(true);
    expect((await l.take([s], 1, "bulk")).granted).toBe(false);

    const urgent = await l.take([s], 2, "urgent");
    expect(urgent).toEqual({ granted: true, waitMs: 0 });
    // Beyond the reserve urgent still goes, at the rate: its slot is about a second away.
    const more = await l.take([s], 1, "urgent");
    expect(more.granted).toBe(true);
    expect(more.waitMs).toBeGreaterThan(800);
    expect(more.waitMs).toBeLessThanOrEqual(1000);
    // Bulk now waits for everything urgent took.
    const bulk = await l.take([s], 1, "bulk");
    expect(bulk.granted).toBe(false);
    expect(bulk.waitMs).toBeGreaterThan(2500);
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

  it("holds its rate under many concurrent takers in one process", async () => {
    const { limiter: l } = await limiter();
    const s = scope("ch:test", 20, 4);
    const grants: number[] = [];
    const until = performance.now() + 2_000;
    const taker = async () => {
      while (performance.now() < until) {
        const d = await l.take([s], 1, "bulk");
        if (d.granted) grants.push(performance.now());
        else await new Promise((r) => setTimeout(r, d.waitMs));
      }
    };
    await Promise.all(Array.from({ length: 12 }, taker));

    grants.sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < grants.length; i++) {
      while ((grants[i] as number) - (grants[j] as number) >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    // 20/s with a burst of 4: never more than 24 in any second; and the takers did get most of it.
    expect(worst).toBeLessThanOrEqual(24);
    expect(grants.length).toBeGreaterThanOrEqual(30);
  });
});
