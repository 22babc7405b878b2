import { count, eq, inArray, like } from "drizzle-orm";
import { alerts, jobs, warnings } from "../../schema";
import type { Database } from "../../src/db/client";
import { withDbPriority } from "../../src/db/priority";
import type { QueueName } from "../../src/topology";

/**
 * What bench:intake counts in the database: its own rows by externalId prefix, and the work still owed.
 * The polls of the work still owed take their turn on PGlite's connection behind the workers they watch
 * (src/db/turns.ts): polled every 50-100 ms as requests, they would go first and slow what they measure.
 */

export async function countLike(db: Database["db"], prefix: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(warnings)
    .where(like(warnings.externalId, `${prefix}-%`));
  return row?.n ?? 0;
}

/**
 * Alerts not pushed yet. Each phase runs on a fresh database whose warm-up was pushed before measuring, so
 * every alert still `received` is one of the phase's own. Counted through the partial index of received
 * alerts: the join on the warnings' prefix this replaced, polled every 50 ms while a backlog drained, took a
 * tenth of PostgreSQL's CPU from the workers it was watching.
 */
export async function unpushed(db: Database["db"]): Promise<number> {
  const [row] = await withDbPriority("background", () =>
    db.select({ n: count() }).from(alerts).where(eq(alerts.stage, "received")),
  );
  return row?.n ?? 0;
}

/** Work the push path still owes: alert pushes and urgent SMS (other queues hold delayed jobs by design). */
const PUSH_PATH: QueueName[] = ["alert-push", "sms-urgent"];
export async function pendingJobs(db: Database["db"]): Promise<number> {
  const [row] = await withDbPriority("background", () =>
    db.select({ n: count() }).from(jobs).where(inArray(jobs.queue, PUSH_PATH)),
  );
  return row?.n ?? 0;
}
