import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client";
import { idArray } from "../../src/db/id-array";
import { NAMED_STATEMENT_MAX_PARAMETERS } from "../../src/db/named-statements";
import { openPostgres } from "../../src/db/postgres";
import { freshDatabase } from "../support/db";

/**
 * The application's statements are named prepared statements on PostgreSQL, parsed once per connection,
 * inside transactions too; statements with many parameters, and every statement behind a pooler (prepare
 * off), stay unnamed. pg_prepared_statements lists what the asking connection holds.
 */
const url = process.env.DATABASE_URL as string;
let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

/** The prepared statements holding `marker`, with how often each was planned for its values or kept a plan. */
const kept = (db: Database["db"], marker: string) =>
  queryRows<{ generic: number; custom: number }>(
    db,
    sql`select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
        where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`,
  );

describe("named statements on PostgreSQL", () => {
  it("keeps a statement with few parameters prepared on its connection, and uses it again", async () => {
    database = openPostgres({ url, max: 1 });
    for (let i = 0; i < 3; i++) await queryRows(database.db, sql`select ${i}::int as few_parameters`);
    expect(await kept(database.db, "few_parameters")).toHaveLength(1);
  });

  it("plans a statement that looks rows up by idArray for its ids on every run, while others keep a plan", async () => {
    // A migrated database (af_ids, migration 0024), on a connection of this test's own.
    database = openPostgres({ url: (await freshDatabase()).url as string, max: 1 });
    const { db } = database;
    await db.execute(sql`create temporary table plan_test (id text primary key)`);
    await db.execute(sql`insert into plan_test select g::text from generate_series(1, 20000) as g`);
    const ids = Array.from({ length: 40 }, (_, i) => String(i + 1));
    for (let i = 0; i < 8; i++) {
      await queryRows(db, sql`select count(*) as by_id_array from plan_test where id = any(${idArray(ids)})`);
      // The same lookup without idArray, which PostgreSQL does come to plan once for any values.
      await queryRows(
        db,
        sql`select count(*) as by_plain_array from plan_test where id = any(string_to_array(${ids.join(",")}, ','))`,
      );
    }
    expect(await kept(db, "by_id_array")).toEqual([{ generic: 0, custom: 8 }]);
    expect((await kept(db, "by_plain_array"))[0]?.generic).toBeGreaterThan(0);
  });

  it("names a transaction's statements too", async () => {
    database = openPostgres({ url, max: 1 });
    const statements = await database.db.transaction(async (tx) => {
      await tx.execute(sql`select ${1}::int as in_a_transaction`);
      return kept(tx as unknown as Database["db"], "in_a_transaction");
    });
    expect(statements).toHaveLength(1);
  });

  it("leaves a statement with many parameters unnamed, whose text changes with their number", async () => {
    database = openPostgres({ url, max: 1 });
    const many = Array.from({ length: NAMED_STATEMENT_MAX_PARAMETERS + 1 }, (_, i) => i);
    await queryRows(
      database.db,
      sql`select ${sql.join(
        many.map((n) => sql`${n}::int`),
        sql`, `,
      )} as many_parameters`,
    );
    expect(await kept(database.db, "many_parameters")).toHaveLength(0);
  });

  it("names nothing when the client's own prepare option is off (behind RDS Proxy)", async () => {
    database = openPostgres({ url, max: 1, prepare: false });
    await queryRows(database.db, sql`select ${1}::int as behind_a_pooler`);
    expect(await kept(database.db, "behind_a_pooler")).toHaveLength(0);
    // Nor does the connection carry a setting of ours, which a pooler would pin it for.
    const rows = await queryRows<{ source: string }>(
      database.db,
      sql`select source from pg_settings where name = 'plan_cache_mode'`,
    );
    expect(rows[0]?.source).not.toBe("client");
  });
});
