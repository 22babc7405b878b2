import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs, officers } from "../../schema";
import { type Database, queryRows } from "../../src/db/client";
import { createTestContext, type TestContext } from "../support/context";
import { freshDatabase, TEST_DB, testRunId } from "../support/db";

/**
 * The harness reuses one migrated database per worker (test/support/db.ts): these tests are the proof that a
 * test still starts from an empty, just-seeded database, whatever the test before it left behind.
 * They run in order (one file runs its tests one after another).
 */
const LOCK = 727_001;
const CHANNEL = "af_isolation_probe";
const heard: string[] = [];
let earlier: { ctx: TestContext; database: Database } | undefined;

async function addJob(ctx: TestContext): Promise<number> {
  const [row] = await ctx.deps.db.insert(jobs).values({ queue: "isolation", payload: {} }).returning();
  return row?.id as number;
}

async function officerCount(ctx: TestContext): Promise<number> {
  const [row] = await ctx.deps.db.select({ n: count() }).from(officers);
  return row?.n ?? -1;
}

describe(`a test database (${TEST_DB})`, () => {
  it("holds what its test wrote (the control for the next test)", async () => {
    const ctx = await createTestContext();
    const seeded = await officerCount(ctx);
    await ctx.deps.db
      .update(officers)
      .set({ displayName: "left by the earlier test" })
      .where(eq(officers.id, "off_miaogong"));
    await ctx.deps.db.insert(officers).values({
      id: "off_leftover",
      stationId: ctx.fixture.ids.station,
      username: "leftover",
      displayName: "leftover",
      role: "officer",
      postId: ctx.fixture.ids.miaogong,
      passwordHash: "x",
    });
    expect(await officerCount(ctx)).toBe(seeded + 1);
    expect([await addJob(ctx), await addJob(ctx)]).toEqual([1, 2]);
    // Session state: an advisory lock taken and a channel listened to, neither released.
    await queryRows(ctx.deps.db, sql`select pg_advisory_lock(${LOCK})`);
    await ctx.deps.database.listen(CHANNEL, (payload) => heard.push(payload));
    await queryRows(ctx.deps.db, sql`select pg_notify(${CHANNEL}, 'during')`);
    await expect.poll(() => heard).toEqual(["during"]);
    earlier = { ctx, database: ctx.deps.database };
  });

  it("starts empty and seeded: no row, sequence, lock or listener of the test before it", async () => {
    expect(earlier, "the first test ran first").toBeDefined();
    const ctx = await createTestContext();

    expect(await ctx.deps.db.select().from(officers).where(eq(officers.id, "off_leftover"))).toEqual([]);
    const [miaogong] = await ctx.deps.db.select().from(officers).where(eq(officers.id, "off_miaogong"));
    expect(miaogong?.displayName).toBe("miaogong");
    expect(await addJob(ctx)).toBe(1);
    const [lock] = await queryRows<{ ok: boolean }>(
      ctx.deps.db,
      sql`select pg_try_advisory_lock(${LOCK}) as ok`,
    );
    expect(lock?.ok).toBe(true);
    await queryRows(ctx.deps.db, sql`select pg_advisory_unlock(${LOCK})`);
    await queryRows(ctx.deps.db, sql`select pg_notify(${CHANNEL}, 'after')`);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(["during"]);
    // And the earlier test's handle no longer reaches any database.
    await expect(officerCount(earlier?.ctx as TestContext)).rejects.toThrow();
  });

  it("gives two databases opened in one test rows of their own", async () => {
    const a = await createTestContext();
    await addJob(a);
    await addJob(a);
    const b = await createTestContext();
    expect(await addJob(b)).toBe(1);
    expect(await b.deps.db.select({ n: count() }).from(jobs)).toEqual([{ n: 1 }]);
    // Opening b did not empty a.
    expect(await a.deps.db.select({ n: count() }).from(jobs)).toEqual([{ n: 2 }]);
    const { database: c } = await freshDatabase();
    expect(await c.db.select({ n: count() }).from(officers)).toEqual([{ n: 0 }]);
  });

  it("is this worker's own: in its memory on PGlite, named after the run and the worker on PostgreSQL", async () => {
    const ctx = await createTestContext();
    if (TEST_DB === "pglite") {
      // No URL: nothing outside this process can open it.
      expect([ctx.deps.database.kind, ctx.url]).toEqual(["pglite", undefined]);
      return;
    }
    const [row] = await queryRows<{ name: string }>(ctx.deps.db, sql`select current_database() as name`);
    // Worker pids are unique among live processes, so two workers at once never share a database.
    expect(row?.name).toMatch(new RegExp(`^af_w_${testRunId()}_${process.pid}_\\d+$`));
    expect(testRunId()).toBe(String(process.ppid));
  });
});
