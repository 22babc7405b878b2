import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../src/db/client";

/**
 * Until a statement matching `queryLike` (a LIKE pattern on its text) waits for a lock in this test's database.
 * Race tests use it instead of a sleep, so the interleaving they set up holds however loaded the machine is.
 */
export async function untilWaitingForLock(db: Executor, queryLike: string, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [row] = await queryRows<{ waiting: number }>(
      db,
      sql`select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like ${queryLike}`,
    );
    if ((row?.waiting ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} never waited for its lock`);
}
