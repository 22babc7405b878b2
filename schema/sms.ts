import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const SMS_PURPOSES = [
  "victim_warning",
  "officer_notification",
  "escalation_notice",
  "parcel_reminder",
] as const;
export const SMS_STATUSES = ["queued", "submitted", "delivered", "failed", "expired", "suppressed"] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];
export type SmsStatus = (typeof SMS_STATUSES)[number];

const at = (name: string) => timestamp(name, { withTimezone: true });

export const smsMessages = pgTable(
  "sms_messages",
  {
    id: text("id").primaryKey(),
    /**
     * `<purpose>:<subject>:<recipient hash>`: a retried push finds the message it already created
     * instead of texting the same person twice.
     */
    idempotencyKey: text("idempotency_key").notNull().unique(),
    lane: text("lane", { enum: ["urgent", "bulk"] }).notNull(),
    purpose: text("purpose", { enum: SMS_PURPOSES }).notNull(),
    alertId: text("alert_id"),
    /** Null once purged (PII_RETENTION_DAYS after the message was created, when it is final), as is the body. */
    recipientEnc: text("recipient_enc"),
    recipientHash: text("recipient_hash"),
    recipientMasked: text("recipient_masked").notNull(),
    body: text("body"),
    segments: integer("segments").notNull(),
    channel: text("channel").notNull(),
    /** The logistics partner a reminder is sent for (its limits and quota apply); null for police SMS. */
    partnerId: text("partner_id"),
    /** A test-mode reminder: never handed to a channel, delivered by simulation, in no count of live traffic. */
    test: boolean("test").notNull().default(false),
    status: text("status", { enum: SMS_STATUSES }).notNull().default("queued"),
    /** Not to be sent before this time (quiet hours, a held-back cap); null: now. */
    notBefore: at("not_before"),
    /** Why a queued message is being held back, or why it was suppressed, for "why no SMS?" questions. */
    holdReason: text("hold_reason"),
    providerMessageId: text("provider_message_id"),
    attempts: integer("attempts").notNull().default(0),
    /** A sender holds the message until then; a redelivered send job waits instead of sending twice. */
    leaseUntil: at("lease_until"),
    /**
     * The local worker process (queue_workers) holding the lease, if it registered: when it dies, another
     * worker takes the lease over at once instead of waiting for lease_until. Null in the cloud.
     */
    leaseHolder: text("lease_holder"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull().defaultNow(),
    submittedAt: at("submitted_at"),
    finishedAt: at("finished_at"),
    personalDataPurgedAt: at("personal_data_purged_at"),
  },
  (t) => [
    index("sms_messages_alert_idx").on(t.alertId),
    index("sms_messages_unpurged_idx").on(t.createdAt).where(sql`${t.personalDataPurgedAt} is null`),
    index("sms_messages_provider_idx").on(t.channel, t.providerMessageId),
    // Queued messages are few at any time; the sweeper's re-drive of lost send jobs reads only these.
    index("sms_messages_queued_idx").on(t.createdAt).where(sql`${t.status} = 'queued'`),
    // Who texted this number: a partner forwarding an opt-out must have; a reply our provider forwards
    // belongs to the station of the last SMS (src/opt-outs/inbound.ts).
    index("sms_messages_recipient_idx").on(t.recipientHash, t.partnerId),
  ],
);

/** Every status change with its time: the message's history. */
export const smsEvents = pgTable(
  "sms_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    messageId: text("message_id").notNull(),
    status: text("status", { enum: SMS_STATUSES }).notNull(),
    detail: text("detail"),
    at: at("at").notNull().defaultNow(),
  },
  (t) => [index("sms_events_message_idx").on(t.messageId)],
);

/** The development channel's record of what a phone would have received. Local mode only. */
export const devOutbox = pgTable(
  "dev_outbox",
  {
    id: text("id").primaryKey(),
    messageId: text("message_id").notNull().unique(),
    toMasked: text("to_masked").notNull(),
    purpose: text("purpose").notNull(),
    alertId: text("alert_id"),
    body: text("body").notNull(),
    segments: integer("segments").notNull(),
    status: text("status").notNull().default("submitted"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [index("dev_outbox_created_idx").on(t.createdAt)],
);

/**
 * Shared rate limiter state (GCRA): one row per scope (global per channel, per partner) holding the
 * theoretical arrival time. One conditional UPSERT per decision, so limits hold across processes.
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  tat: at("tat").notNull(),
});

/** Per-day counters: partner quota usage (parts), per-number provider caps (messages). */
export const dailyUsage = pgTable(
  "daily_usage",
  {
    key: text("key").notNull(),
    day: date("day").notNull(),
    count: integer("count").notNull().default(0),
  },
  // Yesterday's counters are deleted by the retention sweep (their keys hold recipient hashes); by day.
  (t) => [primaryKey({ columns: [t.key, t.day] }), index("daily_usage_day_idx").on(t.day)],
);

/** Recipients who opted out of reminders (退订). Victim warnings ignore this by law and design. */
export const optOuts = pgTable(
  "opt_outs",
  {
    recipientHash: text("recipient_hash").primaryKey(),
    recipientMasked: text("recipient_masked").notNull(),
    source: text("source", { enum: ["inbound", "admin"] }).notNull(),
    keyword: text("keyword"),
    createdBy: text("created_by"),
    /**
     * Where it was recorded: the admin's station, the forwarding partner's station, or for a reply our own
     * provider forwarded, the station of the partner whose reminder the number last got (null: none). It
     * decides which admins list and remove it and where that is audited; it never limits whom it protects.
     */
    stationId: text("station_id"),
    /** The partner that forwarded the reply, for inbound opt-outs a partner recorded. */
    partnerId: text("partner_id"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [index("opt_outs_station_idx").on(t.stationId, t.createdAt)],
);

/** Receipts that arrived before we recorded the provider's message id; applied when the submit lands. */
export const pendingReceipts = pgTable(
  "pending_receipts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    channel: text("channel").notNull(),
    providerMessageId: text("provider_message_id").notNull(),
    status: text("status", { enum: ["delivered", "failed"] }).notNull(),
    detail: text("detail"),
    receivedAt: at("received_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("pending_receipts_uq").on(t.channel, t.providerMessageId, t.status)],
);

/** Stored responses for POSTs with an Idempotency-Key, per caller. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    response: jsonb("response").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);
