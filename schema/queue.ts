import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The local runtime's queue: a table claimed with FOR UPDATE SKIP LOCKED. A claimed job becomes invisible
 * until `visible_at`; if its worker dies it reappears, as an SQS message does after its visibility timeout.
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
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("jobs_queue_visible_idx").on(t.queue, t.visibleAt, t.id)],
);

export const deadJobs = pgTable("dead_jobs", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  queue: text("queue").notNull(),
  payload: jsonb("payload").notNull(),
  receiveCount: integer("receive_count").notNull(),
  lastError: text("last_error"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  diedAt: timestamp("died_at", { withTimezone: true }).notNull().defaultNow(),
});
