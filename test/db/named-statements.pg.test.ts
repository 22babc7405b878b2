import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client";
import { idArray } from "../../src/db/id-array";
import { NAMED_STATEMENT_MAX_PARAMETERS } from "../../src/db/named-statements";
import { openPostgres } from "../../src/db/postgres";

/**
 * The application's statements are named prepared statements on PostgreSQL, parsed once per connection,
 * inside transactions too; statements with many parameters or an idArray, and every statement behind a
 * pooler (prepare off), stay unnamed. pg_prepared_statements lists what the asking connection holds.
 */
const url = process.env.DATABASE_URL as string;
let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

const kept = (db: Database["db"], marker: string) =>
  queryRows<{ statement: string }>(
    db,
    sql`select statement from pg_prepared_statements where statement like ${`%${marker}%`}
          and statement not like '%pg_prepared_statements%'`,
  );

describe("named statements on PostgreSQL", () => {
  it("keeps a statement with few parameters prepared on its connection, and uses it again", async () => {
    database = openPostgres({ url, max: 1 });
    for (let i = 0; i < 3; i++) await queryRows(database.db, sql`select ${i}::int as few_parameters`);
    expect(await kept(database.db, "few_parameters")).toHaveLength(1);
  });

  it("plans a statement that looks rows up by idArray for its ids every time, never from a kept plan", async () => {
    database = openPostgres({ url, max: 1 });
    for (let i = 0; i < 7; i++) {
      await queryRows(
        database.db,
        sql`select id as by_id_array from unnest(array['a', 'b']) as id where id = any(${idArray(["a"])})`,
      );
    }
    expect(await kept(database.db, "by_id_array")).toHaveLength(0);
    // The other statements, and the foreign-key checks of every insert, may keep their plans.
    const rows = await queryRows<{ mode: string }>(
      database.db,
      sql`select current_setting('plan_cache_mode') as mode`,
    );
    expect(rows[0]?.mode).toBe("auto");
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
