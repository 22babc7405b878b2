import { type Clock, systemClock } from "../clock";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { createPii } from "../privacy/pii";
import { PgTableQueue } from "../queue/pg-queue";
import { OutboxChannel } from "../sms/outbox-channel";
import { applyReceipt } from "../sms/receipts";

export interface LocalDepsOptions {
  config: Config;
  database: Database;
  log: Log;
  keys: { encryptionKey: Buffer; hashKey: Buffer };
  clock?: Clock;
}

/** Dependencies for the one-process runtime and for tests: table queue and the development SMS outbox. */
export function buildLocalDeps(options: LocalDepsOptions): Deps & { queue: PgTableQueue } {
  const { config, database, log } = options;
  const sms = new OutboxChannel(database.db, {
    receiptDelayMs: config.OUTBOX_RECEIPT_DELAY_MS,
    failureRate: config.OUTBOX_FAILURE_RATE,
    onReceipt: async (receipt) => {
      await applyReceipt(database.db, { channel: "outbox", ...receipt });
    },
  });
  return {
    config,
    database,
    db: database.db,
    log,
    clock: options.clock ?? systemClock,
    pii: createPii(options.keys.encryptionKey, options.keys.hashKey),
    queue: new PgTableQueue(database),
    sms,
  };
}
