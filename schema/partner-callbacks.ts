import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { partners } from "./organisation";

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * The status changes of partners' reminders, as partners receive them (callbacks) and pull them
 * (GET /v1/partners/{id}/message-events). Written by database triggers on parcel_events and sms_events
 * (migration 0017), so every path that changes a reminder's status — intake, release, send, receipt, expiry,
 * the worker take-over — records it in the same transaction, whichever room's SQL made the change.
 *
 * The order partners see is (txid, id): the writing transaction's id, then the row's. Readers take only rows
 * whose transaction is older than every transaction still running (pg_snapshot_xmin), so a row committed late
 * with a lower `id` can never land behind a cursor a partner already holds. A reminder's changes are made by
 * transactions that each start after the previous one committed, so they keep their order too.
 */
export const partnerMessageEvents = pgTable(
  "partner_message_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** pg_current_xact_id() of the transaction that wrote the row (64-bit, never wraps). */
    txid: bigint("txid", { mode: "number" }).notNull().default(sql`(pg_current_xact_id()::text)::bigint`),
    partnerId: text("partner_id").notNull(),
    parcelEventId: text("parcel_event_id").notNull(),
    waybillNo: text("waybill_no").notNull(),
    kind: text("kind").notNull(),
    messageId: text("message_id"),
    /** scheduled, deferred, attached, suppressed (decisions); submitted, delivered, failed, expired, suppressed (SMS). */
    status: text("status").notNull(),
    /** Why: suppressed's reason (opted_out, capped_1d, ...), a failure's detail, quiet_hours for deferred. */
    reason: text("reason"),
    /** Made with a test-mode API key: nothing was sent. */
    test: boolean("test").notNull().default(false),
    at: at("at").notNull(),
  },
  (t) => [index("partner_message_events_partner_idx").on(t.partnerId, t.txid, t.id)],
);

/**
 * A partner's status callback: where its message events are POSTed and how far it has acknowledged. One
 * stream per partner, delivered strictly in order; a stream that kept failing is dead (dead-lettered) until
 * re-driven, its undelivered events kept in order behind the cursor.
 */
export const partnerCallbacks = pgTable("partner_callbacks", {
  partnerId: text("partner_id")
    .primaryKey()
    .references(() => partners.id),
  url: text("url").notNull(),
  secretEnc: text("secret_enc").notNull(),
  status: text("status", { enum: ["active", "dead"] })
    .notNull()
    .default("active"),
  /** Last acknowledged event, as (txid, id); (0, 0): nothing yet. */
  cursorTxid: bigint("cursor_txid", { mode: "number" }).notNull().default(0),
  cursorId: bigint("cursor_id", { mode: "number" }).notNull().default(0),
  attempts: integer("attempts").notNull().default(0),
  /** First failure of the current run of failures: retries last FEEDBACK_RETRY_HOURS from it. */
  failingSince: at("failing_since"),
  nextAttemptAt: at("next_attempt_at"),
  /** A delivery holds the stream until then, so two deliveries never POST at once. */
  leaseUntil: at("lease_until"),
  lastError: text("last_error"),
  deadAt: at("dead_at"),
  createdAt: at("created_at").notNull().defaultNow(),
  updatedAt: at("updated_at").notNull().defaultNow(),
});
