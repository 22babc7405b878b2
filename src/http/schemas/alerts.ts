import { z } from "@hono/zod-openapi";
import {
  ALERT_STAGES,
  CONTACT_CHANNELS,
  DEADLINE_KINDS,
  FRAUD_TYPES,
  OUTCOMES,
  RISK_LEVELS,
  SMS_PURPOSES,
  SMS_STATUSES,
  WARNING_TYPES,
} from "../../../schema";
import { idSchema, timestamp } from "../route-parts";

/**
 * The alert as officers see it (src/alerts/view.ts and src/alerts/list.ts), for the API document. The
 * routes return those views as they are, type-checked against these schemas: a field documented here that
 * the view lacks, or gives with another type, fails to compile.
 */

/** Fen are whole numbers; a safe integer keeps them exact in JSON and in bigint columns. */
export const fen = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const SubjectSchema = z
  .object({
    phone: z.string().nullable().openapi({ description: "Masked (138****8000); null once purged" }),
    name: z.string().nullable().openapi({ description: "Masked" }),
    purgedAt: timestamp.nullable().openapi({
      description: "When the personal fields were deleted, PII_RETENTION_DAYS after the alert closed",
    }),
  })
  .openapi("AlertSubject");

const AreaSchema = z.object({
  code: z.string().nullable().openapi({ description: "Administrative division code" }),
  address: z.string().nullable().openapi({ description: "Null once purged" }),
});

const DeadlineSchema = z
  .object({ kind: z.enum(DEADLINE_KINDS), at: timestamp })
  .nullable()
  .openapi({ description: "What the alert is held to now, and by when; null once nothing is owed" });

/** Sent back as `expectedVersion`, so a change made meanwhile is a 409, not a silent overwrite. */
const version = z.number().int().openapi({ description: "Send it back as expectedVersion" });

/** What an alert is, in the list and in the full view alike. */
const alertHeading = {
  id: idSchema("alert"),
  stage: z.enum(ALERT_STAGES),
  type: z.enum(WARNING_TYPES),
  fraudType: z.enum(FRAUD_TYPES),
  riskLevel: z.enum(RISK_LEVELS),
  subject: SubjectSchema,
  area: AreaSchema,
};

/** One line of the caller's alert list. */
export const AlertSummarySchema = z
  .object({
    ...alertHeading,
    postId: idSchema("post").nullable(),
    amountAtRisk: fen.nullable(),
    receivedAt: timestamp,
    acknowledgedBy: idSchema("officer").nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    visitRequired: z.boolean(),
    deadline: DeadlineSchema,
    overdue: z.boolean(),
    escalated: z.boolean(),
    version,
  })
  .openapi("AlertSummary");

const OfficerRefSchema = z.object({ id: idSchema("officer"), name: z.string().nullable() });

const TimelineEntrySchema = z.object({
  kind: z.string().openapi({ description: "What happened: a stage change or an officer's action" }),
  at: timestamp,
  officer: OfficerRefSchema.nullable().openapi({ description: "Null for what the system did" }),
  data: z.record(z.string(), z.unknown()).nullable(),
});

const ContactAttemptSchema = z.object({
  id: idSchema("contactAttempt"),
  channel: z.enum(CONTACT_CHANNELS),
  reached: z.boolean(),
  note: z.string().nullable(),
  at: timestamp,
  officer: z.object({ id: idSchema("officer"), name: z.string() }),
});

const WarningSchema = z.object({
  id: idSchema("warning"),
  sourceId: idSchema("feedSource"),
  externalId: z.string().openapi({ description: "The warning's id at its source" }),
  type: z.enum(WARNING_TYPES),
  fraudType: z.enum(FRAUD_TYPES),
  riskLevel: z.enum(RISK_LEVELS),
  amountAtRisk: fen.nullable(),
  indicators: z.array(z.object({ kind: z.string(), value: z.string() })),
  detectedAt: timestamp,
  receivedAt: timestamp,
});

const AlertMessageSchema = z.object({
  id: idSchema("message"),
  purpose: z.enum(SMS_PURPOSES),
  to: z.string().openapi({ description: "Masked" }),
  status: z.enum(SMS_STATUSES),
  segments: z.number().int(),
  createdAt: timestamp,
  submittedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  history: z.array(z.object({ status: z.enum(SMS_STATUSES), at: timestamp, detail: z.string().nullable() })),
});

export const AlertViewSchema = z
  .object({
    ...alertHeading,
    amountAtRisk: fen.nullable().openapi({ description: "In fen (分)" }),
    postId: idSchema("post").nullable(),
    routedBy: z
      .string()
      .nullable()
      .openapi({ description: "Why it went to its post: a rule id or duty_desk" }),
    receivedAt: timestamp,
    pushedAt: timestamp.nullable(),
    acknowledgedAt: timestamp.nullable(),
    verifiedAt: timestamp.nullable(),
    fedBackAt: timestamp.nullable(),
    acknowledgedBy: idSchema("officer").nullable(),
    verifiedBy: idSchema("officer").nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    outcomeNote: z.string().nullable(),
    amountProtected: fen.nullable().openapi({ description: "Loss averted, in fen" }),
    amountLost: fen.nullable().openapi({ description: "In fen" }),
    visitRequired: z.boolean(),
    deadline: DeadlineSchema,
    escalated: z.boolean(),
    escalationCount: z.number().int(),
    version,
    timeline: z.array(TimelineEntrySchema).openapi({ description: "Who did what when, oldest first" }),
    contactAttempts: z.array(ContactAttemptSchema),
    warnings: z.array(WarningSchema),
    messages: z.array(AlertMessageSchema).openapi({ description: "The alert's SMS and each one's history" }),
  })
  .openapi("AlertView", {
    description:
      "The alert with its warnings, SMS, contact attempts, timeline (who did what when), stage times, outcome, amounts (fen), deadline and version. The subject phone is masked.",
  });
