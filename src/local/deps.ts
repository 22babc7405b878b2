import { type Clock, systemClock } from "../clock";
import type { Config } from "../config";
import { promptHandler, promptSql } from "../consumers";
import type { Database } from "../db/client";
import type { Deps } from "../deps";
import { configuredSmsChannel } from "../deps";
import type { Log } from "../log";
import { createPii } from "../privacy/pii";
import { PgTableQueue } from "../queue/pg-queue";
import { handlePromptly } from "./prompt";

export interface LocalDepsOptions {
  config: Config;
  database: Database;
  log: Log;
  keys: { encryptionKey: Buffer; hashKey: Buffer };
  clock?: Clock;
}

/**
 * Dependencies for the one-process runtime and for tests: table queue and the configured SMS channel. The
 * process handles the prompt messages it publishes itself (./prompt.ts).
 */
export function buildLocalDeps(options: LocalDepsOptions): Deps & { queue: PgTableQueue } {
  const { config, database, log } = options;
  const pii = createPii(options.keys.encryptionKey, options.keys.hashKey);
  // outbox by default; SMS_CHANNEL=http sends through a configured domestic gateway.
  const sms = configuredSmsChannel(config, database.db, pii);
  if (!sms) throw new Error(`SMS_CHANNEL=${config.SMS_CHANNEL} is only available in the cloud runtime`);
  const deps = {
    config,
    database,
    db: database.db,
    log,
    clock: options.clock ?? systemClock,
    pii,
    queue: new PgTableQueue(database),
    sms,
  };
  handlePromptly(deps, promptHandler(deps), promptSql);
  return deps;
}
