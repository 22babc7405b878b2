import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client";
import { noFlushWait } from "../../src/db/no-flush-wait";
import { openDatabase } from "../../src/db/open";
import { freshDatabase } from "../support/db";

/**
 * A statement carrying `noFlushWait` commits without waiting for the disk (src/db/no-flush-wait.ts): the
 * setting is made by the statement whether or not it matched a row, and it ends with the statement's own
 * transaction, so the next statement on the connection waits as every commit does.
 */
async function oneConnection(): Promise<{ database: Database; close: () => Promise<void> }> {
  const { database, url } = await freshDatabase();
  if (!url) return { database, close: async () => {} }; // PGlite: one connection already
  const own = await openDatabase({ url, max: 1 });
  return { database: own, close: () => own.close() };
}

const setting = async (db: Database["db"]) =>
  (await queryRows<{ value: string }>(db, sql`select current_setting('synchronous_commit') as value`))[0]
    ?.value;

describe("a commit that does not wait for the disk", () => {
  it("is set by the statement even when it matched no row, and only for that statement's transaction", async () => {
    const { database, close } = await oneConnection();
    try {
      const { db } = database;
      const within = await db.transaction(async (tx) => {
        const rows = await queryRows(
          tx,
          sql`select id from jobs where queue = 'no such queue' and ${noFlushWait}`,
        );
        expect(rows).toEqual([]);
        return setting(tx);
      });
      expect(within).toBe("off");
      expect(await setting(db)).toBe("on");

      // On its own, as the queue's claim runs: the next statement waits again.
      await queryRows(db, sql`select id from jobs where queue = 'no such queue' and ${noFlushWait}`);
      expect(await setting(db)).toBe("on");
    } finally {
      await close();
    }
  });
});
