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
import { partners, stations } from "./organisation";

export const PARCEL_EVENT_KINDS = [
  "registered",
  "arrived_at_pickup_point",
  "out_for_delivery",
  "delivered",
] as const;
export const REMINDER_DECISIONS = ["scheduled", "deferred", "attached", "suppressed"] as const;
export type ParcelEventKind = (typeof PARCEL_EVENT_KINDS)[number];
export type ReminderDecision = (typeof REMINDER_DECISIONS)[number];

const at = (name: string) => timestamp(name, { withTimezone: true });

/** A parcel event as a partner reported it, with the reminder decision and its reason. */
export const parcelEvents = pgTable(
  "parcel_events",
  {
    id: text("id").primaryKey(),
    partnerId: text("partner_id")
      .notNull()
      .references(() => partners.id),
    waybillNo: text("waybill_no").notNull(),
    kind: text("kind", { enum: PARCEL_EVENT_KINDS }).notNull(),
    /** Null once purged (PII_RETENTION_DAYS after the event was received). */
    recipientEnc: text("recipient_enc"),
    recipientHash: text("recipient_hash"),
    areaCode: text("area_code"),
    pickupPoint: text("pickup_point"),
    occurredAt: at("occurred_at").notNull(),
    receivedAt: at("received_at").notNull(),
    decision: text("decision", { enum: REMINDER_DECISIONS }).notNull(),
    /** Machine-readable reason (opted_out, capped_1d, no_campaign, quiet_hours, quota_exhausted, ...). */
    reason: text("reason"),
    campaignId: text("campaign_id"),
    templateId: text("template_id"),
    messageId: text("message_id"),
    deferredUntil: at("deferred_until"),
    text: text("text"),
    /** Posted with a test-mode API key: decided as live, never sent, left out of reports. */
    test: boolean("test").notNull().default(false),
    personalDataPurgedAt: at("personal_data_purged_at"),
  },
  (t) => [
    index("parcel_events_unpurged_idx").on(t.receivedAt).where(sql`${t.personalDataPurgedAt} is null`),
    // A test key's events are a world of their own: a waybill tried in test mode is new to live traffic.
    uniqueIndex("parcel_events_partner_waybill_kind_uq").on(t.partnerId, t.waybillNo, t.kind, t.test),
    index("parcel_events_partner_received_idx").on(t.partnerId, t.receivedAt),
    // The release's order (src/parcels/release.ts), deferred events only: a batch reads its 100 rows off the
    // index instead of sorting every deferred event (all share the window's start) — 81 ms a batch at 20,000
    // deferred, taking the CPU victim warnings needed at 10:00 — and other events' inserts skip it.
    index("parcel_events_deferred_release_idx")
      .on(t.deferredUntil, t.occurredAt, t.id)
      .where(sql`${t.decision} = 'deferred'`),
    // Reminders a partner appended to its own SMS: replies to them come back through that partner.
    index("parcel_events_attached_recipient_idx")
      .on(t.recipientHash, t.partnerId)
      .where(sql`${t.decision} = 'attached'`),
  ],
);

export const campaigns = pgTable(
  "campaigns",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    name: text("name").notNull(),
    /** Administrative division code prefixes this campaign targets; empty: the whole station. */
    areaPrefixes: jsonb("area_prefixes").$type<string[]>().notNull(),
    startsOn: date("starts_on").notNull(),
    endsOn: date("ends_on").notNull(),
    /** Higher first: an urgent campaign about a new scam pattern outranks the standing one. */
    priority: integer("priority").notNull().default(0),
    disabledAt: at("disabled_at"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [index("campaigns_station_idx").on(t.stationId)],
);

export const campaignTemplates = pgTable(
  "campaign_templates",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    body: text("body").notNull(),
    segments: integer("segments").notNull(),
    /** Rotation counter: the least-used active template goes next. */
    uses: integer("uses").notNull().default(0),
    disabledAt: at("disabled_at"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [index("campaign_templates_campaign_idx").on(t.campaignId)],
);

/**
 * Signatures a station's admin allow-listed for reminder templates besides the station's own
 * (stations.sms_signature, or SMS_SIGNATURE): each must be registered with the carrier for this sender, which
 * the admin vouches for by adding it. Removing one refuses new templates with it; stored templates stay.
 */
export const templateSignatures = pgTable(
  "template_signatures",
  {
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    signature: text("signature").notNull(),
    createdBy: text("created_by"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.stationId, t.signature] })],
);

/**
 * Reminders reserved per recipient, across all partners and campaigns: the frequency caps count these.
 * The cap check and the reservation happen under one per-recipient lock, so concurrent events cannot both pass.
 */
export const reminderReservations = pgTable(
  "reminder_reservations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    recipientHash: text("recipient_hash").notNull(),
    parcelEventId: text("parcel_event_id").notNull(),
    reservedAt: at("reserved_at").notNull(),
    /** A test-mode reminder's reservation: test reminders are capped among themselves, never against live ones. */
    test: boolean("test").notNull().default(false),
  },
  (t) => [
    index("reminder_reservations_recipient_idx").on(t.recipientHash, t.reservedAt),
    // Reservations older than the longest cap window count toward nothing and are deleted, oldest first.
    index("reminder_reservations_reserved_idx").on(t.reservedAt),
  ],
);
