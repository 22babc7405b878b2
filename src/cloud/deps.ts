import { systemClock } from "../clock";
import { type Config, ConfigError } from "../config";
import { openPostgres } from "../db/postgres";
import type { Deps } from "../deps";
import { configuredSmsChannel } from "../deps";
import { createLog, type Log } from "../log";
import { createPii } from "../privacy/pii";
import { SqsJsonClient } from "../queue/sqs-client";
import { SqsQueue } from "../queue/sqs-queue";
import type { SmsChannel } from "../sms/channels/channel";
import { CLOUD_POOL_SIZE } from "../topology";
import { AWS_REQUEST_TIMEOUT_MS } from "./aws-clients";
import { cloudDatabaseOptions } from "./database";

/**
 * Dependencies for the Lambdas: PostgreSQL over postgres.js, SQS, and the SMS channel SMS_CHANNEL names.
 * Only the functions that send SMS pass `sns` (./sns.ts), so only their bundles carry the SNS client; the
 * others queue SMS on the channel's name, as infra/ lets only them publish.
 */
export async function buildCloudDeps(
  config: Config,
  options: { sns?: (config: Config) => SmsChannel; log?: Log } = {},
): Promise<Deps> {
  const log = options.log ?? createLog(config.LOG_LEVEL);
  if (!config.QUEUE_URLS) throw new ConfigError("invalid configuration: QUEUE_URLS: required in the cloud");
  if (!config.PII_ENCRYPTION_KEY || !config.PII_HASH_KEY) {
    throw new ConfigError("invalid configuration: PII_ENCRYPTION_KEY, PII_HASH_KEY: required in the cloud");
  }
  const database = openPostgres({ ...cloudDatabaseOptions(config), max: CLOUD_POOL_SIZE });
  const sqs = SqsJsonClient.fromEnvironment({
    region: config.AWS_REGION,
    maxAttempts: 3,
    timeoutMs: AWS_REQUEST_TIMEOUT_MS,
  });
  const queue = new SqsQueue(sqs, { urls: config.QUEUE_URLS });
  const pii = createPii(
    Buffer.from(config.PII_ENCRYPTION_KEY, "base64"),
    Buffer.from(config.PII_HASH_KEY, "base64"),
  );
  // The outbox (a staging stage texts no one) and an HTTP gateway come from configuration as locally.
  const sms = configuredSmsChannel(config, database.db, pii) ?? options.sns?.(config) ?? queuesOnly("sns");
  return { config, database, db: database.db, log, clock: systemClock, pii, queue, sms };
}

/** The channel of a function that queues SMS and never sends one: sending from it is a wiring mistake. */
function queuesOnly(name: string): SmsChannel {
  return {
    name,
    send() {
      throw new Error(
        `this function queues SMS for the ${name} channel; the SMS queues' consumers send them`,
      );
    },
  };
}
