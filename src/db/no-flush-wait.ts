import { sql } from "drizzle-orm";

/**
 * A condition, always true, for the `where` of a statement's top-level select: the statement's own transaction
 * then commits without waiting for its WAL to reach the disk (`synchronous_commit` off for that transaction
 * only: `set_config(…, true)` ends with it). PostgreSQL evaluates an uncorrelated condition like this once,
 * before any row ("One-Time Filter"), so it holds whether or not the statement matched anything.
 *
 * Only for a statement that is a transaction of its own (run on the database, never inside a transaction,
 * where it would waive the wait for everything else that transaction writes) and whose loss in a database
 * crash costs nothing but doing it again. A crash can lose only the last few hundred milliseconds of such
 * commits (wal_writer_delay × 3), never part of one, and any later commit that does wait flushes the WAL
 * before it: whatever a claim led to makes the claim durable when it commits. The table queue's claim uses it
 * (src/queue/pg-queue.ts): a lost claim is a job delivered again, as after a worker's crash, which every
 * consumer handles (at least once). The rate limiter's decision does the same inside af_rate_take
 * (migration 0022; src/sms/rate/limiter.ts says why).
 */
export const noFlushWait = sql`(select set_config('synchronous_commit', 'off', true)) = 'off'`;
