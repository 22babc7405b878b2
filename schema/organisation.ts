import {
  type AnyPgColumn,
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

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const stations = pgTable("stations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /**
   * The signature (短信签名) `npm run setup` was given. The server sends with it unless SMS_SIGNATURE says
   * otherwise, and refuses to start when the two differ (src/local/signature.ts): one place to set it.
   */
  smsSignature: text("sms_signature"),
  createdAt: createdAt(),
});

export const posts = pgTable(
  "posts",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    name: text("name").notNull(),
    /** The station's duty desk takes every alert no jurisdiction rule claims. */
    isDutyDesk: boolean("is_duty_desk").notNull().default(false),
    /**
     * Who is paged when the roster leaves nobody on duty here: a named supervisor. Unset, the station's duty
     * desk is (src/organisation/on-duty.ts).
     */
    fallbackOfficerId: text("fallback_officer_id").references((): AnyPgColumn => officers.id),
    /**
     * A disabled post takes no new alerts (its jurisdiction rules stop routing, no officer is newly assigned
     * to it) but keeps its history: alerts, rules and rosters still name it, so it is never deleted.
     */
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("posts_station_idx").on(t.stationId),
    // Two posts of one name cannot be told apart on any page or export.
    uniqueIndex("posts_station_name_uq").on(t.stationId, t.name),
  ],
);

/** Routing is data: an area code prefix or an address keyword maps to a post. */
export const jurisdictionRules = pgTable(
  "jurisdiction_rules",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    postId: text("post_id")
      .notNull()
      .references(() => posts.id),
    kind: text("kind", { enum: ["area_prefix", "address_keyword"] }).notNull(),
    pattern: text("pattern").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("jurisdiction_rules_station_idx").on(t.stationId),
    // One rule per kind and pattern: two would route by whichever was made first.
    uniqueIndex("jurisdiction_rules_station_kind_pattern_uq").on(t.stationId, t.kind, t.pattern),
  ],
);

export const officers = pgTable(
  "officers",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    postId: text("post_id").references(() => posts.id),
    username: text("username").notNull(),
    displayName: text("display_name").notNull(),
    role: text("role", { enum: ["officer", "supervisor", "admin"] }).notNull(),
    phoneEnc: text("phone_enc"),
    phoneHash: text("phone_hash"),
    onDuty: boolean("on_duty").notNull().default(true),
    passwordHash: text("password_hash").notNull(),
    /**
     * Set when an admin chose or generated the password (creation, reset): the admin knows it, so until the
     * officer picks their own, the session may only change it. Otherwise the audit log could not tell the
     * officer's actions from the admin's.
     */
    passwordChangeRequired: boolean("password_change_required").notNull().default(false),
    /** Demo accounts are refused in production even if a seeded database is promoted. */
    demo: boolean("demo").notNull().default(false),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /** When the officer was last sent a notification SMS; bundling waits out the interval from here. */
    lastNotifiedAt: timestamp("last_notified_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("officers_username_uq").on(t.username), index("officers_post_idx").on(t.postId)],
);

/**
 * A post's weekly roster: one row per shift, in Asia/Shanghai time. `dayOfWeek` is ISO (1 Monday … 7 Sunday),
 * minutes count from midnight; a shift whose end is not after its start runs past midnight into the next day
 * (20:00–08:00 is 1200–480). A post with no shift at all has no roster (src/organisation/roster.ts).
 */
export const rosterShifts = pgTable(
  "roster_shifts",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    postId: text("post_id")
      .notNull()
      .references(() => posts.id),
    dayOfWeek: integer("day_of_week").notNull(),
    startMinute: integer("start_minute").notNull(),
    endMinute: integer("end_minute").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("roster_shifts_post_idx").on(t.postId)],
);

/** The officers who work a shift. */
export const rosterAssignments = pgTable(
  "roster_assignments",
  {
    shiftId: text("shift_id")
      .notNull()
      .references(() => rosterShifts.id, { onDelete: "cascade" }),
    officerId: text("officer_id")
      .notNull()
      .references(() => officers.id),
  },
  (t) => [primaryKey({ columns: [t.shiftId, t.officerId] })],
);

/** Dated exceptions to a post's roster: `cover` puts an officer on duty there, `leave` takes one off. */
export const rosterOverrides = pgTable(
  "roster_overrides",
  {
    id: text("id").primaryKey(),
    stationId: text("station_id")
      .notNull()
      .references(() => stations.id),
    postId: text("post_id")
      .notNull()
      .references(() => posts.id),
    officerId: text("officer_id")
      .notNull()
      .references(() => officers.id),
    kind: text("kind", { enum: ["cover", "leave"] }).notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("roster_overrides_post_ends_idx").on(t.postId, t.endsAt)],
);

/** Sessions are stored by the hash of their token: a database read does not yield usable tokens. */
export const sessions = pgTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    officerId: text("officer_id")
      .notNull()
      .references(() => officers.id),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("sessions_officer_idx").on(t.officerId)],
);

export const feedSources = pgTable("feed_sources", {
  id: text("id").primaryKey(),
  stationId: text("station_id")
    .notNull()
    .references(() => stations.id),
  name: text("name").notNull(),
  /** The HMAC secret must be readable to verify signatures, so it is encrypted rather than hashed. */
  secretEnc: text("secret_enc").notNull(),
  callbackUrl: text("callback_url"),
  demo: boolean("demo").notNull().default(false),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const partners = pgTable("partners", {
  id: text("id").primaryKey(),
  stationId: text("station_id")
    .notNull()
    .references(() => stations.id),
  name: text("name").notNull(),
  channel: text("channel", { enum: ["partner_http", "sns", "attach"] }).notNull(),
  partsPerSecond: integer("parts_per_second").notNull().default(100),
  dailyQuota: integer("daily_quota").notNull().default(50000),
  /** For `partner_http`: how to call the partner's SMS API (URL, auth, field mapping); see src/sms/channels/http-gateway-channel.ts. */
  smsApi: jsonb("sms_api").$type<Record<string, unknown>>(),
  /** Shared secret for the partner's webhooks (delivery receipts, inbound SMS), encrypted. */
  webhookSecretEnc: text("webhook_secret_enc"),
  demo: boolean("demo").notNull().default(false),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const partnerApiKeys = pgTable(
  "partner_api_keys",
  {
    keyHash: text("key_hash").primaryKey(),
    partnerId: text("partner_id")
      .notNull()
      .references(() => partners.id),
    /**
     * live: real traffic. test: the same validation, decisions and read-backs, but nothing is sent, what it
     * creates is marked test, and it counts toward no cap, quota or report of live traffic.
     */
    mode: text("mode", { enum: ["live", "test"] })
      .notNull()
      .default("live"),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("partner_api_keys_partner_idx").on(t.partnerId)],
);

/** Failed logins per username, so guessing is slowed down across every process (not a per-process counter). */
export const loginThrottle = pgTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  lastFailureAt: timestamp("last_failure_at", { withTimezone: true }).notNull(),
  blockedUntil: timestamp("blocked_until", { withTimezone: true }),
});

/** Who saw or did what: reveals of personal data, officer administration, re-drives. Append-only. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    stationId: text("station_id").notNull(),
    officerId: text("officer_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    reason: text("reason"),
    data: jsonb("data").$type<Record<string, unknown>>(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [index("audit_log_station_at_idx").on(t.stationId, t.at)],
);
