import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { feedSources, officers, posts, stations } from "./organisation";

export const WARNING_TYPES = ["funds", "call", "sms", "url", "app", "other"] as const;
export const RISK_LEVELS = ["critical", "high", "medium", "low"] as const;
export const FRAUD_TYPES = [
  "loan",
  "rebate",
  "impersonating_police",
  "romance_investment",
  "fake_customer_service",
  "impersonating_boss",
  "fake_prize",
  "fake_credit_repair",
  "other",
] as const;
export const ALERT_STAGES = ["received", "pushed", "acknowledged", "verified", "fed_back"] as const;
export const OUTCOMES = [
  "dissuaded",
  "already_defrauded",
  "aware_no_loss",
  "not_fraud",
  "unreachable",
  "refused_or_denied",
  "wrong_subject",
  "duplicate",
] as const;
/** The deadline an open alert is currently held to (see src/alerts/deadlines.ts). */
export const DEADLINE_KINDS = ["acknowledge", "contact", "visit", "feedback"] as const;
export const CONTACT_CHANNELS = ["phone", "sms", "visit"] as const;

export type WarningType = (typeof WARNING_TYPES)[number];
export type RiskLevel = (typeof RISK_LEVELS)[number];
export type FraudType = (typeof FRAUD_TYPES)[number];
export type AlertStage = (typeof ALERT_STAGES)[number];
export type Outcome = (typeof OUTCOMES)[number];
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export interface Indicator {
  kind: string;
  value: string;
}

const at = (name: string) => timestamp(name, { withTimezone: true });

/** Our record of a case being handled: one per subject in trouble, fed by one or more warnings. */
export const alerts = pgTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    /** Null until routed by the push stage. */
    postId: text("post_id").references(() => posts.id),
    stage: text("stage", { enum: ALERT_STAGES }).notNull().default("received"),
    type: text("type", { enum: WARNING_TYPES }).notNull(),
    fraudType: text("fraud_type", { enum: FRAUD_TYPES }).notNull(),
    riskLevel: text("risk_level", { enum: RISK_LEVELS }).notNull(),
    /** Null once purged (PII_RETENTION_DAYS after the alert closed), as are the name, address and notes. */
    subjectPhoneEnc: text("subject_phone_enc"),
    subjectPhoneHash: text("subject_phone_hash"),
    subjectNameEnc: text("subject_name_enc"),
    areaCode: text("area_code"),
    areaAddress: text("area_address"),
    amountAtRisk: bigint("amount_at_risk", { mode: "number" }),
    /** Why the alert went to its post: a rule id or `duty_desk`. */
    routedBy: text("routed_by"),
    receivedAt: at("received_at").notNull(),
    pushedAt: at("pushed_at"),
    acknowledgedAt: at("acknowledged_at"),
    verifiedAt: at("verified_at"),
    fedBackAt: at("fed_back_at"),
    acknowledgedBy: text("acknowledged_by"),
    /** The latest outcome recorded; final outcomes close the alert (stage verified). */
    outcome: text("outcome", { enum: OUTCOMES }),
    outcomeNote: text("outcome_note"),
    verifiedBy: text("verified_by"),
    amountProtected: bigint("amount_protected", { mode: "number" }),
    amountLost: bigint("amount_lost", { mode: "number" }),
    /** A visit is owed (unreachable, or a busy call on a critical/high alert). */
    visitRequired: boolean("visit_required").notNull().default(false),
    /** The deadline the alert is held to now; null once nothing is owed. Indexed for the sweeper and the queue view. */
    deadlineKind: text("deadline_kind", { enum: DEADLINE_KINDS }),
    deadlineAt: at("deadline_at"),
    escalated: boolean("escalated").notNull().default(false),
    escalationCount: integer("escalation_count").notNull().default(0),
    lastEscalatedAt: at("last_escalated_at"),
    /**
     * Where the alert stands in its escalation chain for the deadline it is held to now: 0 none paged yet, n the
     * policy's n-th step was paged last (src/alerts/escalate.ts). An officer's next step sets a new deadline and
     * starts over at 0, which is how acknowledging stops the chain.
     */
    escalationStep: integer("escalation_step").notNull().default(0),
    /** The risk level whose escalation policy the running chain follows (its level when the chain began). */
    escalationLevel: text("escalation_level", { enum: RISK_LEVELS }),
    /** When the subject was last sent a warning SMS, and at which risk level (repeat warnings are not re-sent within a window). */
    lastVictimWarningAt: at("last_victim_warning_at"),
    lastVictimWarningRisk: text("last_victim_warning_risk", { enum: RISK_LEVELS }),
    /** Optimistic concurrency for officer actions. */
    version: integer("version").notNull().default(1),
    /** When the retention purge cleared the subject's personal fields here and in the alert's warnings. */
    personalDataPurgedAt: at("personal_data_purged_at"),
  },
  (t) => [
    index("alerts_post_stage_idx").on(t.postId, t.stage),
    index("alerts_deadline_idx").on(t.deadlineAt),
    // The sweeper looks for alerts stuck in these two stages every run; partial indexes keep that off a full scan.
    index("alerts_stuck_received_idx").on(t.receivedAt).where(sql`${t.stage} = 'received'`),
    index("alerts_stuck_verified_idx").on(t.verifiedAt).where(sql`${t.stage} = 'verified'`),
    index("alerts_station_received_idx").on(t.stationId, t.receivedAt),
    // A subject's alerts, and intake's lookup of each subject's newest open alert at a station (repeats.ts).
    index("alerts_subject_idx").on(t.subjectPhoneHash, t.stationId, t.receivedAt),
    // The retention purge looks only at alerts it has not purged yet.
    index("alerts_unpurged_idx").on(t.verifiedAt).where(sql`${t.personalDataPurgedAt} is null`),
  ],
);

/** A warning exactly as a feed sent it (personal fields sealed); unique per source and external id. */
export const warnings = pgTable(
  "warnings",
  {
    id: text("id").primaryKey(),
    sourceId: text("source_id")
      .notNull()
      .references(() => feedSources.id),
    externalId: text("external_id").notNull(),
    alertId: text("alert_id").notNull(),
    type: text("type", { enum: WARNING_TYPES }).notNull(),
    fraudType: text("fraud_type", { enum: FRAUD_TYPES }).notNull(),
    riskLevel: text("risk_level", { enum: RISK_LEVELS }).notNull(),
    /** Null once purged (PII_RETENTION_DAYS after the alert closed), as are the name, address and notes. */
    subjectPhoneEnc: text("subject_phone_enc"),
    subjectPhoneHash: text("subject_phone_hash"),
    subjectNameEnc: text("subject_name_enc"),
    areaCode: text("area_code"),
    areaAddress: text("area_address"),
    indicators: jsonb("indicators").$type<Indicator[]>().notNull(),
    amountAtRisk: bigint("amount_at_risk", { mode: "number" }),
    detectedAt: at("detected_at").notNull(),
    receivedAt: at("received_at").notNull(),
  },
  (t) => [
    uniqueIndex("warnings_source_external_uq").on(t.sourceId, t.externalId),
    index("warnings_alert_idx").on(t.alertId),
  ],
);

/** Contact attempts an officer logs while verifying. */
export const contactAttempts = pgTable(
  "contact_attempts",
  {
    id: text("id").primaryKey(),
    alertId: text("alert_id")
      .notNull()
      .references(() => alerts.id),
    officerId: text("officer_id")
      .notNull()
      .references(() => officers.id),
    channel: text("channel", { enum: CONTACT_CHANNELS }).notNull(),
    reached: boolean("reached").notNull(),
    note: text("note"),
    at: at("at").notNull(),
  },
  (t) => [index("contact_attempts_alert_idx").on(t.alertId)],
);

/**
 * The alert's timeline: every stage change and every officer action, with who and when.
 * Append-only (a trigger refuses UPDATE and DELETE), so it doubles as the audit trail of an alert.
 */
export const alertEvents = pgTable(
  "alert_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    alertId: text("alert_id").notNull(),
    kind: text("kind").notNull(),
    officerId: text("officer_id"),
    data: jsonb("data").$type<Record<string, unknown>>(),
    at: at("at").notNull(),
  },
  (t) => [index("alert_events_alert_idx").on(t.alertId, t.id)],
);

/**
 * One feedback event per final outcome (unique per alert). Sources with a callback URL get it pushed and
 * retried until acknowledged; the rest pull it in `seq` order.
 */
export const feedbackEvents = pgTable(
  "feedback_events",
  {
    id: text("id").primaryKey(),
    /** Cursor for the pull endpoint: strictly increasing in commit-ish order. */
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    alertId: text("alert_id")
      .notNull()
      .references(() => alerts.id),
    sourceId: text("source_id")
      .notNull()
      .references(() => feedSources.id),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** pending: to be pushed; delivered: callback acknowledged; dead: gave up; pull: waits for the source to fetch. */
    status: text("status", { enum: ["pending", "delivered", "dead", "pull"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    deliveredAt: at("delivered_at"),
    deadAt: at("dead_at"),
  },
  (t) => [
    uniqueIndex("feedback_events_alert_source_uq").on(t.alertId, t.sourceId),
    index("feedback_events_status_idx").on(t.status, t.nextAttemptAt),
    index("feedback_events_source_seq_idx").on(t.sourceId, t.seq),
  ],
);

/**
 * An alert's notice to one officer (src/alerts/officer-notify.ts): critical and high go out at once, medium
 * and low are bundled into one SMS per officer per interval. Pending while neither sent nor dropped.
 */
export const officerNotices = pgTable(
  "officer_notices",
  {
    officerId: text("officer_id")
      .notNull()
      .references(() => officers.id),
    alertId: text("alert_id")
      .notNull()
      .references(() => alerts.id),
    createdAt: at("created_at").notNull(),
    /** The summary SMS that carried it; null while pending. */
    messageId: text("message_id"),
    /** The post the alert was routed to when the notice was made; the alert leaving it drops the notice. */
    postId: text("post_id"),
    /** Set when the notice was not sent because the alert no longer needed it (see dropReason). */
    droppedAt: at("dropped_at"),
    dropReason: text("drop_reason", { enum: ["acknowledged", "closed", "transferred"] }),
  },
  (t) => [
    uniqueIndex("officer_notices_uq").on(t.officerId, t.alertId),
    index("officer_notices_pending_idx").on(t.officerId, t.messageId),
  ],
);

/** Who an escalation step pages (src/organisation/escalation-policies.ts). */
export const ESCALATION_TARGETS = ["on_duty", "post_all", "supervisors", "duty_desk", "officer"] as const;
export type EscalationTargetKind = (typeof ESCALATION_TARGETS)[number];
export interface EscalationTarget {
  kind: EscalationTargetKind;
  /** For `officer`: the officer paged. */
  officerId?: string;
}
export interface EscalationStep {
  targets: EscalationTarget[];
  /** How long this step waits for an acknowledgement before the next step is paged (the last one repeats). */
  waitMinutes: number;
}

/**
 * A station's escalation policy for one risk level, as the admin wrote it. No row: the default policy
 * (one step, the post's on-duty officers and the station's supervisors, repeated every
 * ESCALATION_REMIND_MINUTES).
 */
export const escalationPolicies = pgTable(
  "escalation_policies",
  {
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    riskLevel: text("risk_level", { enum: RISK_LEVELS }).notNull(),
    steps: jsonb("steps").$type<EscalationStep[]>().notNull(),
    updatedBy: text("updated_by")
      .notNull()
      .references(() => officers.id),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.stationId, t.riskLevel] })],
);
