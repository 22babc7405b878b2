import * as z from "zod/mini";
import { type DeadlinePolicy, parseDeadlinePolicy } from "./alerts/deadlines";
import { PRODUCTION_HASH_COST } from "./auth/passwords";
import { describeZodError } from "./errors";
import { parseCaps, parseSendingHours } from "./parcels/policy";
import { SmsApiSchema } from "./sms/channels/http-gateway-api";
import { perChannelNumber } from "./sms/channels/per-channel";
import { QUEUE_NAMES, type QueueName } from "./topology";
import { addIssue, type ParsePayload } from "./zod-mini";

/**
 * Every setting the system reads, parsed once at start-up. A bad value stops start-up and names the key,
 * so a misconfigured deployment fails loudly instead of sending SMS with the wrong signature or keys.
 */
const base64Key = z
  .string()
  .check(z.refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded"));

/** A signature (短信签名) as carriers register it: 2-12 characters in 【】. */
export const SMS_SIGNATURE_PATTERN = /^【[^【】]{2,12}】$/;
/** The demo's signature, sent when neither SMS_SIGNATURE nor a station set up by `npm run setup` names one. */
export const DEFAULT_SMS_SIGNATURE = "【昌吉公安】";

const ConfigSchema = z.object({
  NODE_ENV: z._default(z.enum(["development", "test", "production"]), "development"),
  PORT: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(65535)), 3000),
  /**
   * Address to listen on. Unset: 127.0.0.1 in local mode, so a laptop's demo data and development outbox
   * are not on the station's network; 0.0.0.0 (every interface) in production, where officers reach it.
   */
  HOST: z.optional(z.union([z.ipv4(), z.ipv6(), z.literal("localhost")])),
  /** Public URL used in printed examples; defaults to http://localhost:PORT. */
  BASE_URL: z.optional(z.url()),
  /** PostgreSQL connection string. Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.optional(z.string()),
  DATA_DIR: z._default(z.string(), ".data"),
  LOG_LEVEL: z._default(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), "info"),
  /**
   * Officer password hashing cost, log2 of scrypt's N (src/auth/passwords.ts). Below the production value
   * only with NODE_ENV=test, where a login must not cost a tenth of a second of CPU.
   */
  PASSWORD_HASH_COST: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(20)),
    PRODUCTION_HASH_COST,
  ),
  /** AES-256-GCM key for personal fields (subject phones, names) and stored feed secrets. */
  PII_ENCRYPTION_KEY: z.optional(base64Key),
  /** HMAC key for look-up hashes of phone numbers; separate from the encryption key so one leak is not both. */
  PII_HASH_KEY: z.optional(base64Key),
  /**
   * Signature every SMS starts with (短信签名); counts toward the SMS length. Usually left unset: the local
   * runtime then sends with the one `npm run setup` stored for the station (src/local/signature.ts).
   */
  SMS_SIGNATURE: z.optional(z.string().check(z.regex(SMS_SIGNATURE_PATTERN, "must look like 【昌吉公安】"))),
  /** Which SMS channel urgent messages use. `outbox` records them for developers instead of sending. */
  SMS_CHANNEL: z.optional(z.enum(["outbox", "sns", "http"])),
  /** The dev outbox simulates delivery receipts after this delay; negative disables simulation. */
  OUTBOX_RECEIPT_DELAY_MS: z._default(z.coerce.number().check(z.int()), 2000),
  OUTBOX_FAILURE_RATE: z._default(z.coerce.number().check(z.minimum(0), z.maximum(1)), 0),
  /** The dev outbox answers after this long, like a provider's API would. */
  OUTBOX_SEND_DELAY_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
  /** Share of dev outbox sends that fail as a provider's 503 would (transient, retried). */
  OUTBOX_SEND_FAILURE_RATE: z._default(z.coerce.number().check(z.minimum(0), z.maximum(1)), 0),
  /** Share of dev outbox sends recorded but answered with a timeout: the "did it go out?" case. */
  OUTBOX_LOST_ANSWER_RATE: z._default(z.coerce.number().check(z.minimum(0), z.maximum(1)), 0),
  // SMS dispatch engine (src/sms): see the README section "SMS dispatch".
  /** SMS_CHANNEL=http: the domestic gateway's API as JSON (src/sms/channels/http-gateway-api.ts describes the fields). */
  SMS_HTTP_API: z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      if (v === undefined) return undefined;
      const parsed = SmsApiSchema.safeParse(parseJson(v));
      if (parsed.success) return parsed.data;
      addIssue(ctx, `must be JSON describing the API: ${describeZodError(parsed.error)}`);
      return z.NEVER;
    }),
  ),
  /** Provider rate per channel in message parts per second: `500`, or JSON {"sns":20,"http":500}. */
  SMS_GLOBAL_PARTS_PER_SECOND: z._default(perChannelNumber, { outbox: 500, sns: 20, "*": 100 }),
  /** Parts above the rate a channel may take at once (GCRA burst); default a fifth of a second's rate. */
  SMS_GLOBAL_BURST: z.optional(perChannelNumber),
  /**
   * Providers count SMS as they arrive, a little after we decide to send them, and not all equally late:
   * the limiter keeps this many milliseconds of each rate below the burst, so that spread cannot add up to
   * more than the provider allows.
   */
  SMS_SEND_JITTER_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(1000)), 50),
  /** Share of each channel's burst only urgent SMS may use, so a warning never queues behind reminders. */
  SMS_URGENT_RESERVE_SHARE: z._default(z.coerce.number().check(z.minimum(0), z.maximum(0.9)), 0.3),
  /** Messages a provider accepts per number per day (domestic providers refuse about 50). */
  SMS_PER_NUMBER_DAILY_CAP: z._default(perChannelNumber, { "*": 50 }),
  /** Of that cap, messages bulk may never use: room left for warnings to someone reminders already reached. */
  SMS_PER_NUMBER_URGENT_RESERVE: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 5),
  /** Provider attempts before a message that keeps failing transiently is marked failed. */
  SMS_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(50)), 8),
  /** Provider calls in flight per channel and lane in one process. */
  SMS_MAX_IN_FLIGHT: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 64),
  /** A bulk SMS waiting longer than this for its rate slot is put back on the queue instead. */
  SMS_RATE_MAX_WAIT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 10_000),
  /** Submitted messages without a receipt become `expired` after this many hours. */
  SMS_RECEIPT_TIMEOUT_HOURS: z._default(z.coerce.number().check(z.positive()), 72),
  /** Secret our own SMS provider signs POST /v1/sms/inbound with (X-Signature); unset: partners only. */
  SMS_INBOUND_SECRET: z.optional(z.string().check(z.minLength(16))),
  /** Which queues this process works: `all`, `none`, or a comma-separated list of queue names. */
  WORKERS: z._default(z.string(), "all"),
  /** Seconds a claimed queue message stays invisible before it is redelivered. */
  QUEUE_VISIBILITY_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 30),
  /**
   * Local runtime: each worker process writes a heartbeat this often. A process silent for
   * WORKER_STALE_AFTER_SECONDS (about three beats) is taken for dead: another worker makes the jobs and SMS
   * it held available again at once, rather than after QUEUE_VISIBILITY_SECONDS and SMS_SEND_LEASE_SECONDS,
   * so victim warnings resume within seconds of a crash. Shorter means faster take-over but a process that
   * stalls that long (a full pool, a pause) is taken for dead while still working; its SMS are then treated
   * as outcome unknown (src/sms/dispatch/send.ts), never blindly sent twice.
   */
  WORKER_HEARTBEAT_SECONDS: z._default(z.coerce.number().check(z.positive()), 2),
  WORKER_STALE_AFTER_SECONDS: z._default(z.coerce.number().check(z.positive()), 6),
  /**
   * How long one sender holds an SMS it is sending; at least the slowest provider call. A message whose
   * sender died is sent again only after this, so keep it short where restarts must resume quickly.
   */
  SMS_SEND_LEASE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 60),
  /**
   * Dates on input (a warning's detectedAt, a parcel event's occurredAt) more than this many days old are
   * rejected, naming the field: late deliveries after an outage are fine, year 0001 is not.
   */
  INPUT_MAX_AGE_DAYS: z._default(z.coerce.number().check(z.positive()), 366),
  /** A warning's detectedAt may be at most this far ahead of our clock (feeds' clocks drift by seconds). */
  WARNING_MAX_FUTURE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 300),
  FEED_SIGNATURE_TOLERANCE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 300),
  SESSION_TTL_HOURS: z._default(z.coerce.number().check(z.minimum(0.01)), 12),
  /**
   * Personal fields (subject and recipient numbers, names, addresses, officers' notes, SMS texts) are deleted
   * this many days after their record is finished: an alert closed, an SMS final, a parcel event received.
   */
  PII_RETENTION_DAYS: z._default(z.coerce.number().check(z.positive()), 180),
  /**
   * Rows per purge statement; a sweep runs up to ten per kind of record. The default keeps up with about
   * 28 million records a day per kind at one sweep a minute, a region's parcel volume with room to spare.
   */
  PII_PURGE_BATCH_SIZE: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(50_000)), 2000),
  /** A POST's Idempotency-Key answers repeats for this long; then the key may be used again. */
  IDEMPOTENCY_KEY_TTL_HOURS: z._default(z.coerce.number().check(z.positive()), 24),
  /**
   * Failed logins per username within the window before each further try is refused for a while (except
   * from an address that has not been failing; src/auth/throttle.ts explains why).
   */
  LOGIN_MAX_FAILURES: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 5),
  /** Failed logins from one client address, whatever the usernames: slows spraying one password across many. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 20),
  LOGIN_FAILURE_WINDOW_MINUTES: z._default(z.coerce.number().check(z.positive()), 15),
  /** The first block; each further failure doubles it, up to the cap: a back-off, not a lock-out. */
  LOGIN_BLOCK_BASE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 30),
  LOGIN_BLOCK_MAX_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 300),
  /**
   * How long a subject's number stays on screen after an audited reveal (src/alerts/reveal.ts): long enough
   * to call, call back after a busy line and log the attempt without a second reveal; short enough that a
   * phone left on a desk does not show it for the rest of the shift.
   */
  REVEAL_WINDOW_MINUTES: z._default(z.coerce.number().check(z.positive(), z.maximum(60)), 5),
  /**
   * Addresses of reverse proxies in front of the server (comma-separated, exact addresses). Only a request
   * arriving from one of them has its X-Forwarded-For believed, for the client address the login throttle
   * counts; otherwise anyone could claim a fresh address with each guess. Unset: the connection's address.
   * Behind API Gateway the client address comes from the gateway itself and this is not needed.
   */
  TRUSTED_PROXIES: z.pipe(
    z._default(z.string(), ""),
    z.transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ),
  /** Per-risk-level deadline overrides as JSON, e.g. {"high":{"acknowledgeMinutes":3}}; see src/alerts/deadlines.ts. */
  DEADLINES_JSON: z.optional(z.string()).check(
    z.refine((v) => {
      try {
        parseDeadlinePolicy(v);
        return true;
      } catch {
        return false;
      }
    }, "must be JSON matching the deadline policy (minutes per risk level)"),
  ),
  /** A new warning for a subject with an open alert received within this many hours joins that alert. */
  REPEAT_LINK_HOURS: z._default(z.coerce.number().check(z.positive()), 24),
  /** A subject is not sent a second warning SMS within this many minutes, unless the risk level rose. */
  REPEAT_WARNING_QUIET_MINUTES: z._default(z.coerce.number().check(z.minimum(0)), 30),
  /**
   * Medium and low alerts: an officer gets at most one notice SMS per this many seconds (alerts in between are
   * summarised), never later than the alerts' acknowledge deadline. Critical and high are paged at once.
   */
  OFFICER_NOTIFY_INTERVAL_SECONDS: z._default(
    z.coerce.number().check(z.int(), z.minimum(0), z.maximum(3600)),
    120,
  ),
  /**
   * Reminder frequency caps per recipient, counted across all partners and campaigns: `<count>/<period>`
   * (period in m, h or d), comma-separated; a reminder is suppressed as `capped_<period>` when one is full.
   */
  REMINDER_CAPS: z.pipe(
    z._default(z.string(), "1/1d,2/7d"),
    z.transform((v, ctx) => parseOrIssue(() => parseCaps(v), ctx)),
  ),
  /** When bulk reminders may go out, Asia/Shanghai time, [start, end); outside it they wait for the next start. */
  REMINDER_HOURS: z.pipe(
    z._default(z.string(), "10:00-21:00"),
    z.transform((v, ctx) => parseOrIssue(() => parseSendingHours(v), ctx)),
  ),
  /**
   * Deferred reminders released per second when the sending hours open: about the providers' rate, since a
   * reminder queued sooner only waits in the bulk lane (and its writes take CPU from victim warnings).
   */
  REMINDER_RELEASE_PER_SECOND: z._default(z.coerce.number().check(z.positive()), 500),
  /** Create demo station, officers, feed source and partner on first start (never in production). */
  SEED_DEMO: z.pipe(
    z.optional(z.enum(["true", "false"])),
    z.transform((v) => (v === undefined ? undefined : v === "true")),
  ),
  /** A feedback callback that has not answered by then counts as failed and is retried. */
  FEEDBACK_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 10_000),
  /** Failed callbacks are retried this long (from the first try, or from a re-drive), then dead-lettered. */
  FEEDBACK_RETRY_HOURS: z._default(z.coerce.number().check(z.positive()), 24),
  /** Backoff with full jitter: retry n waits a random time up to min(max, base * 2^(n-1)) seconds. */
  FEEDBACK_RETRY_BASE_SECONDS: z._default(z.coerce.number().check(z.positive()), 30),
  FEEDBACK_RETRY_MAX_DELAY_SECONDS: z._default(z.coerce.number().check(z.positive()), 3600),
  /**
   * Partners' message-status callbacks (src/message-events/deliver.ts) use the feedback timeout, retry window and
   * backoff above; a POST carries at most this many events. 100 keeps a body well under a receiver's usual 1 MiB.
   */
  PARTNER_CALLBACK_BATCH_SIZE: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)),
    100,
  ),
  /**
   * Prometheus metrics (src/http/metrics.ts). METRICS_PORT: a listener of its own on METRICS_HOST (loopback
   * only: a proxy in front of the API never reaches it). METRICS_TOKEN: also at /metrics on the API, with
   * `Authorization: Bearer <token>`. Neither: no metrics are served.
   */
  METRICS_PORT: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  METRICS_HOST: z
    ._default(z.union([z.ipv4(), z.ipv6(), z.literal("localhost")]), "127.0.0.1")
    .check(
      z.refine(
        (h) => h === "localhost" || h === "::1" || h.startsWith("127."),
        "must be a loopback address (use METRICS_TOKEN to scrape from elsewhere)",
      ),
    ),
  METRICS_TOKEN: z.optional(z.string().check(z.minLength(32, "at least 32 characters"))),
  /** Local runtime: seconds between sweeps; unset, the schedule declared in src/topology.ts. */
  SWEEP_INTERVAL_SECONDS: z.optional(z.coerce.number().check(z.positive())),
  /** Rows the sweeper takes per query; a run loops over batches up to a bound and leaves the rest to the next. */
  SWEEP_BATCH_SIZE: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 200),
  /** An escalated alert still overdue is escalated again (another SMS) after this long. */
  ESCALATION_REMIND_MINUTES: z._default(z.coerce.number().check(z.positive()), 10),
  /**
   * A queued SMS, or an officer notice past its interval, with nothing done about it for this long counts as
   * having lost its queue message (an SQS send that failed after commit); the sweeper re-publishes it.
   */
  SWEEP_REDRIVE_GRACE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 120),
  // Cloud runtime (functions/, src/cloud): set by infra/ on every Lambda; unused by `npm start`.
  /** SQS queue URL for every queue in src/topology.ts, as a JSON object keyed by queue name. */
  QUEUE_URLS: z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      if (v === undefined) return undefined;
      const parsed = QueueUrlsSchema.safeParse(parseJson(v));
      if (parsed.success) return parsed.data;
      addIssue(ctx, `must be a JSON object with a URL for ${QUEUE_NAMES.join(", ")}`);
      return z.NEVER;
    }),
  ),
  /** Region of the SQS and SNS clients; Lambda sets it. */
  AWS_REGION: z.optional(z.string()),
  /** Alphanumeric SMS sender id for SNS, where the destination country supports one. */
  SNS_SENDER_ID: z.optional(
    z
      .string()
      .check(
        z.regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/, "must be 1-11 letters or digits, at least one letter"),
      ),
  ),
  /** SNS: the dedicated number SMS are sent from, where the destination country requires one (E.164). */
  SNS_ORIGINATION_NUMBER: z.optional(
    z.string().check(z.regex(/^\+[1-9]\d{4,14}$/, "must be an E.164 number such as +12065550100")),
  ),
  /** Where the migration files are when the code runs bundled (the Lambda copies them beside the bundle). */
  MIGRATIONS_DIR: z.optional(z.string()),
  /**
   * PEM file of the CAs the database's certificate must chain to (the cloud: the RDS bundle infra/ copies
   * beside each function, relative to its working directory). Required in the cloud: TLS that checks no
   * certificate would talk to whoever answers.
   */
  DATABASE_CA_FILE: z.optional(z.string()),
});

const QueueUrlsSchema = z.object(
  Object.fromEntries(QUEUE_NAMES.map((name) => [name, z.url()])) as Record<QueueName, z.ZodMiniURL>,
);

/** Runs a settings parser inside a zod transform, turning its error into an issue that names the key. */
function parseOrIssue<T>(parse: () => T, ctx: ParsePayload): T {
  try {
    return parse();
  } catch (error) {
    addIssue(ctx, error instanceof Error ? error.message : String(error));
    return z.NEVER;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type Config = Omit<z.infer<typeof ConfigSchema>, "HOST" | "SMS_SIGNATURE" | "SMS_CHANNEL"> & {
  /** Unset: the development outbox (refused on a station server in production, see assertStationServerSafe). */
  SMS_CHANNEL: "outbox" | "sns" | "http";
  smsChannelSet: boolean;
  HOST: string;
  SMS_SIGNATURE: string;
  /** Whether SMS_SIGNATURE came from the environment rather than the default. */
  smsSignatureSet: boolean;
  local: boolean;
  deadlines: DeadlinePolicy;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = describeZodError(parsed.error);
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.PASSWORD_HASH_COST < PRODUCTION_HASH_COST && config.NODE_ENV !== "test") {
    throw new ConfigError(
      `invalid configuration: PASSWORD_HASH_COST: below ${PRODUCTION_HASH_COST} only with NODE_ENV=test`,
    );
  }
  if (config.NODE_ENV === "production") {
    for (const key of ["DATABASE_URL", "PII_ENCRYPTION_KEY", "PII_HASH_KEY"] as const) {
      if (!config[key]) throw new ConfigError(`invalid configuration: ${key}: required in production`);
    }
  }
  const local = config.NODE_ENV !== "production";
  return {
    ...config,
    HOST: config.HOST ?? (local ? "127.0.0.1" : "0.0.0.0"),
    SMS_SIGNATURE: config.SMS_SIGNATURE ?? DEFAULT_SMS_SIGNATURE,
    smsSignatureSet: config.SMS_SIGNATURE !== undefined,
    SMS_CHANNEL: config.SMS_CHANNEL ?? "outbox",
    smsChannelSet: config.SMS_CHANNEL !== undefined,
    local,
    deadlines: parseDeadlinePolicy(config.DEADLINES_JSON),
  };
}

/**
 * A station server (`npm run start:prod`, src/local/runtime.ts) in production must text real phones: an unset
 * SMS_CHANNEL would default to the development outbox, which records SMS and sends none, and the station
 * would go live texting nobody. Checked here rather than in loadConfig because the cloud's staging stages run
 * NODE_ENV=production with the outbox on purpose (infra/settings.ts).
 */
export function assertStationServerSafe(config: Config): void {
  // SNS is reached from the cloud runtime's Lambdas only (src/cloud/deps.ts); say so before opening anything.
  if (config.SMS_CHANNEL === "sns") {
    throw new ConfigError(
      "invalid configuration: SMS_CHANNEL: sns is only available in the cloud runtime; a station server sends through a domestic gateway (http)",
    );
  }
  if (config.local) return;
  if (!config.smsChannelSet) {
    throw new ConfigError(
      "invalid configuration: SMS_CHANNEL: required in production (http, with SMS_HTTP_API); unset, SMS would go to the development outbox and reach no phone",
    );
  }
  if (config.SMS_CHANNEL === "outbox") {
    throw new ConfigError(
      "invalid configuration: SMS_CHANNEL: outbox reaches no phone and is refused in production; use http with SMS_HTTP_API",
    );
  }
  if (config.SMS_CHANNEL === "http" && !config.SMS_HTTP_API) {
    throw new ConfigError("invalid configuration: SMS_HTTP_API: required when SMS_CHANNEL=http");
  }
}

/**
 * SST links infra/ gives the Lambdas (infra/database.ts, infra/secrets.ts name them). Their values are
 * mapped onto the same keys `loadConfig` validates, so the cloud and `npm start` share one schema.
 */
const LinksSchema = z.object({
  Database: z.object({
    host: z.string(),
    port: z.coerce.number(),
    username: z.string(),
    password: z.string(),
    database: z.string(),
  }),
  PiiEncryptionKey: z.object({ value: z.string() }),
  PiiHashKey: z.object({ value: z.string() }),
  /** Linked only to the functions that send, and only where the stage sends through a gateway. */
  SmsHttpApi: z.optional(z.object({ value: z.string() })),
});

export function envFromLinks(resource: Record<string, unknown>): Record<string, string> {
  const links = Object.fromEntries(
    Object.keys(LinksSchema.shape).map((name) => [name, name in resource ? resource[name] : undefined]),
  );
  const parsed = LinksSchema.safeParse(links);
  if (!parsed.success) {
    const problems = describeZodError(parsed.error);
    throw new ConfigError(`invalid SST links: ${problems}`);
  }
  const { Database: db, PiiEncryptionKey, PiiHashKey, SmsHttpApi } = parsed.data;
  const credentials = `${encodeURIComponent(db.username)}:${encodeURIComponent(db.password)}`;
  // RDS refuses unencrypted connections, and src/cloud/deps.ts verifies the certificate against the RDS CA
  // bundle (verify-full says so here too); idle_timeout drops connections a frozen Lambda would find dead.
  const query = "sslmode=verify-full&idle_timeout=60&connect_timeout=10";
  return {
    DATABASE_URL: `postgres://${credentials}@${db.host}:${db.port}/${encodeURIComponent(db.database)}?${query}`,
    PII_ENCRYPTION_KEY: PiiEncryptionKey.value,
    PII_HASH_KEY: PiiHashKey.value,
    ...(SmsHttpApi ? { SMS_HTTP_API: SmsHttpApi.value } : {}),
  };
}

/**
 * Configuration inside a Lambda: plain settings from the environment infra/ sets, secrets and the
 * database from SST links. Links are read here rather than in functions/ so that this file stays the one
 * place settings come from; `sst` is imported only on this path, never by `npm start` or the tests.
 */
export async function loadCloudConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const { Resource } = await import("sst");
  return loadConfig({ ...env, ...envFromLinks(Resource as unknown as Record<string, unknown>) });
}
