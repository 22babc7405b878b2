import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { feedSources, posts, stations } from "./organisation";

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

export type WarningType = (typeof WARNING_TYPES)[number];
export type RiskLevel = (typeof RISK_LEVELS)[number];
export type FraudType = (typeof FRAUD_TYPES)[number];
export type AlertStage = (typeof ALERT_STAGES)[number];

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
    subjectPhoneEnc: text("subject_phone_enc").notNull(),
    subjectPhoneHash: text("subject_phone_hash").notNull(),
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
    /** Optimistic concurrency for officer actions. */
    version: integer("version").notNull().default(1),
  },
  (t) => [
    index("alerts_post_stage_idx").on(t.postId, t.stage),
    index("alerts_station_received_idx").on(t.stationId, t.receivedAt),
    index("alerts_subject_idx").on(t.subjectPhoneHash),
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
    subjectPhoneEnc: text("subject_phone_enc").notNull(),
    subjectPhoneHash: text("subject_phone_hash").notNull(),
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
