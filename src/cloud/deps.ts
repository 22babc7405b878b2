import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../clock";
import { type Config, ConfigError } from "../config";
import { openPostgres } from "../db/postgres";
import type { Deps } from "../deps";
import { configuredSmsChannel } from "../deps";
import { createLog, type Log } from "../log";
import { createPii } from "../privacy/pii";
import { SqsQueue } from "../queue/sqs-queue";
import { SnsChannel } from "../sms/channels/sns-channel";
import { CLOUD_POOL_SIZE } from "../topology";
import { cloudDatabaseOptions } from "./database";

/** SDK calls give up well inside the functions' timeouts; a stuck call is better retried by the queue. */
const awsClientOptions = (config: Config, maxAttempts: number) => ({
  region: config.AWS_REGION,
  maxAttempts,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
});

/** Dependencies for the Lambdas: PostgreSQL over postgres.js, SQS, and the SMS channel SMS_CHANNEL names. */
export async function buildCloudDeps(config: Config, log: Log = createLog(config.LOG_LEVEL)): Promise<Deps> {
  if (!config.QUEUE_URLS) throw new ConfigError("invalid configuration: QUEUE_URLS: required in the cloud");
  if (!config.PII_ENCRYPTION_KEY || !config.PII_HASH_KEY) {
    throw new ConfigError("invalid configuration: PII_ENCRYPTION_KEY, PII_HASH_KEY: required in the cloud");
  }
  const database = openPostgres({ ...cloudDatabaseOptions(config), max: CLOUD_POOL_SIZE });
  const queue = new SqsQueue(new SQSClient(awsClientOptions(config, 3)), { urls: config.QUEUE_URLS });
  const pii = createPii(
    Buffer.from(config.PII_ENCRYPTION_KEY, "base64"),
    Buffer.from(config.PII_HASH_KEY, "base64"),
  );
  // The outbox (a staging stage texts no one) and an HTTP gateway come from configuration as locally;
  // SNS needs an AWS client, so it is built here. The SDK must not retry a Publish by itself: a retried
  // timeout could text someone twice, and the SMS engine retries with backoff and knows the risks.
  const sms =
    configuredSmsChannel(config, database.db, pii) ??
    new SnsChannel(new SNSClient(awsClientOptions(config, 1)), { senderId: config.SNS_SENDER_ID });
  return { config, database, db: database.db, log, clock: systemClock, pii, queue, sms };
}
