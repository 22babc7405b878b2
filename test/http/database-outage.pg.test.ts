import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/db/unavailable";
import { createTestContext } from "../support/context";

/** A server that ends a connection mid-query is an outage too (issue 10, item 11); PGlite has no server to do it. */
describe("a database outage on PostgreSQL", () => {
  it("recognises a query cut off by the server terminating its connection", async () => {
    const ctx = await createTestContext();
    const admin = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} });
    try {
      const name = new URL(ctx.url as string).pathname.slice(1);
      const running = ctx.deps.db.execute(sql`select pg_sleep(30)`).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Wait until the query is on the server, then end every backend of the test database.
      for (let i = 0; i < 100; i++) {
        const [row] = await admin`select count(*)::int as n from pg_stat_activity
                                    where datname = ${name} and query like '%pg_sleep%' and state = 'active'`;
        if (row?.n) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;

      const error = await running;

      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await admin.end();
    }
  });
});
