import type { Clock } from "./clock";
import type { Config } from "./config";
import type { Database, Db } from "./db/client";
import type { Log } from "./log";
import type { Pii } from "./privacy/pii";
import type { QueuePort } from "./queue/port";
import type { SmsChannel } from "./sms/channels/channel";
import { HttpSmsChannel } from "./sms/channels/http-gateway-channel";
import { OutboxChannel } from "./sms/channels/outbox-channel";
import { applyReceipt } from "./sms/receipts/receipts";

/** Everything a use case may depend on. Use cases take `Pick<Deps, ...>` of what they need. */
export interface Deps {
  config: Config;
  database: Database;
  db: Db;
  log: Log;
  clock: Clock;
  pii: Pii;
  queue: QueuePort;
  sms: SmsChannel;
}

/**
 * The police channel from configuration, for the channels that need nothing but configuration: the dev
 * outbox and an HTTP gateway (SMS_CHANNEL=http, SMS_HTTP_API). SNS needs an AWS client and is built by the
 * cloud runtime (src/cloud/deps.ts); undefined here.
 */
export function configuredSmsChannel(config: Config, db: Db, pii: Pii): SmsChannel | undefined {
  if (config.SMS_CHANNEL === "http") {
    if (!config.SMS_HTTP_API)
      throw new Error("invalid configuration: SMS_HTTP_API: required when SMS_CHANNEL=http");
    return new HttpSmsChannel("http", config.SMS_HTTP_API, { decrypt: (s) => pii.decrypt(s) });
  }
  if (config.SMS_CHANNEL === "outbox") {
    return new OutboxChannel(db, {
      receiptDelayMs: config.OUTBOX_RECEIPT_DELAY_MS,
      failureRate: config.OUTBOX_FAILURE_RATE,
      sendDelayMs: config.OUTBOX_SEND_DELAY_MS,
      sendFailureRate: config.OUTBOX_SEND_FAILURE_RATE,
      lostAnswerRate: config.OUTBOX_LOST_ANSWER_RATE,
      onReceipt: async (receipt) => {
        await applyReceipt(db, { channel: "outbox", ...receipt });
      },
    });
  }
  return undefined;
}
