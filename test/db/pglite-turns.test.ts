import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { openPglite } from "../../src/db/pglite";
import { withDbPriority } from "../../src/db/priority";

/**
 * The embedded database's one connection, as `npm start` opens it: a request's statement is not kept waiting
 * behind a queue worker's backlog of statements and transactions (issue 19: requests waited for seconds
 * behind SMS sending). PGlite only: on PostgreSQL every caller has its own connection.
 */
describe("the embedded database's turns", () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("runs a request's query before the worker transactions that were waiting longer", async () => {
    database = await openPglite({ pglite: await PGlite.create(), agedAfterMs: 60_000 });
    const { db } = database;
    await db.execute(sql`create table done (who text, at serial)`);
    const backlog = withDbPriority("background", () =>
      Array.from({ length: 40 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.execute(sql`select pg_sleep(0.002)`);
          await tx.execute(sql`insert into done (who) values (${`worker-${i}`})`);
        }),
      ),
    );
    // The request comes in once the workers are under way, as a request does while a backlog drains.
    await new Promise((resolve) => setImmediate(resolve));
    await db.execute(sql`insert into done (who) values ('request')`);
    await Promise.all(backlog);

    const rows = (await db.execute(sql`select who from done order by at`)) as unknown as {
      rows: { who: string }[];
    };
    const position = rows.rows.findIndex((r) => r.who === "request");
    expect(rows.rows).toHaveLength(41);
    expect(position).toBeLessThan(3);
  });

  it("still runs the workers' transactions while requests keep coming", async () => {
    database = await openPglite({ pglite: await PGlite.create(), agedAfterMs: 5 });
    const { db } = database;
    await db.execute(sql`create table done (who text)`);
    let requestsDone = false;
    const requests = (async () => {
      for (let i = 0; i < 200; i++) await db.execute(sql`insert into done values ('request')`);
      requestsDone = true;
    })();
    const worker = withDbPriority("background", () =>
      db.execute(sql`insert into done values ('worker')`).then(() => requestsDone),
    );
    // The worker's statement ran before the stream of requests ended: slowed, not stopped.
    expect(await worker).toBe(false);
    await requests;
  });
});
