import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { arrayLiteral } from "../../src/db/id-array";
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

  it("passes an id list as one array literal, in order with repeats, and refuses a value that needs quoting", async () => {
    const { database } = await freshDatabase();
    const rows = await queryRows<{ id: string; n: string; k: string }>(
      database.db,
      sql`select v.id, v.n::text as n, k::text as k
          from unnest(${arrayLiteral(["pev_b", "pev_a", "pev_b"])}::text[],
                      ${arrayLiteral(["msg-1", "msg_2", "msg3"])}::text[]) with ordinality as v(id, m, n)
          join unnest(${arrayLiteral([-9223372036854775807n, 42n, 7n])}::bigint[]) with ordinality as l(k, i)
            on l.i = v.n`,
    );
    expect(rows).toEqual([
      { id: "pev_b", n: "1", k: "-9223372036854775807" },
      { id: "pev_a", n: "2", k: "42" },
      { id: "pev_b", n: "3", k: "7" },
    ]);
    // A comma or a quote would split or end the literal: such a value never reaches the statement.
    expect(() => arrayLiteral(["pev_a", "x,y"])).toThrow(/unexpected character/);
    expect(() => arrayLiteral(['a"b'])).toThrow(/unexpected character/);
  });
});
