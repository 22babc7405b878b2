import { sql } from "drizzle-orm";
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The local runtime's queue: a table claimed with FOR UPDATE SKIP LOCKED. A claimed job becomes invisible
 * until `visible_at`; if its worker dies it reappears, as an SQS message does after its visibility timeout,
 * or sooner: `claimed_by` names the worker process (queue_workers) that holds it, and once that process has
 * missed its heartbeats another worker makes the job visible again (src/queue/worker-registry.ts).
 */
export const jobs = pgTable(
  "jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    queue: text("queue").notNull(),
    payload: jsonb("payload").notNull(),
    visibleAt: timestamp("visible_at", { withTimezone: true }).notNull().defaultNow(),
    receiveCount: integer("receive_count").notNull().default(0),
    lastError: text("last_error"),
    /** The worker process holding the job while it is invisible; null when nobody (or no registered worker) does. */
    claimedBy: text("claimed_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("jobs_queue_visible_idx").on(t.queue, t.visibleAt, t.id),
    // Few jobs are claimed at any time; taking over a dead worker's jobs reads only these.
    index("jobs_claimed_by_idx").on(t.claimedBy).where(sql`${t.claimedBy} is not null`),
  ],
);

/**
 * Worker processes of the local runtime (`npm start`, one row each), with a heartbeat every
 * WORKER_HEARTBEAT_SECONDS. A row whose heartbeat is older than WORKER_STALE_AFTER_SECONDS belongs to a
 * process that died; the first live worker to notice deletes it and takes over what it held.
 */
export const queueWorkers = pgTable("queue_workers", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
});

export const deadJobs = pgTable("dead_jobs", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  queue: text("queue").notNull(),
  payload: jsonb("payload").notNull(),
  receiveCount: integer("receive_count").notNull(),
  lastError: text("last_error"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  diedAt: timestamp("died_at", { withTimezone: true }).notNull().defaultNow(),
});
