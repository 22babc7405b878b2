import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { freshDatabase } from "../support/db";

/**
 * A JavaScript Date in a raw `sql` template works on both databases. PGlite always accepted it; postgres.js
 * behind drizzle sent it as an object and the query failed, which took the supervisor console down on
 * PostgreSQL only (issue 10, item 2).
 */
describe("raw SQL parameters", () => {
  it("accepts a Date wherever a timestamp is compared, cast or inferred", async () => {
    const { database } = await freshDatabase();
    const at = new Date("2026-12-03T08:00:00.123Z");
    const rows = await queryRows<{ earlier: boolean; same: boolean; date: string }>(
      database.db,
      sql`select ${at} < ${new Date("2026-12-03T09:00:00Z")} as earlier,
                 ${at}::timestamptz = '2026-12-03T16:00:00.123+08:00'::timestamptz as same,
                 (${at}::timestamptz at time zone 'Asia/Shanghai')::date::text as date`,
    );
    expect(rows).toEqual([{ earlier: true, same: true, date: "2026-12-03" }]);
  });
});
