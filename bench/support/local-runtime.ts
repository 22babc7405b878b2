import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { migrateDatabase } from "../../src/db/migrate";
import { openDatabase } from "../../src/db/open";
import { buildLocalDeps } from "../../src/local/deps";
import { createLog } from "../../src/log";
import { recreateDatabase } from "./databases";

/**
 * The local runtime a benchmark measures: a fresh database (`name` recreated on DATABASE_URL's server, or
 * PGlite under `scratch`), migrated, with the deps `npm start` builds, the dev outbox answering at once.
 */
export async function benchRuntime(options: {
  adminUrl: string | undefined;
  name: string;
  scratch: string;
  /** PostgreSQL pool size. */
  connections: number;
}) {
  const benchUrl = options.adminUrl ? await recreateDatabase(options.adminUrl, options.name) : undefined;
  const config = loadConfig({
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    DATA_DIR: options.scratch,
    OUTBOX_RECEIPT_DELAY_MS: "-1",
    ...(benchUrl ? { DATABASE_URL: benchUrl } : {}),
  });
  const database = await openDatabase(
    benchUrl ? { url: benchUrl, max: options.connections } : { dataDir: join(options.scratch, "db") },
  );
  await migrateDatabase(database, benchUrl);
  const deps = buildLocalDeps({
    config,
    database,
    log: createLog(config.LOG_LEVEL),
    keys: { encryptionKey: randomBytes(32), hashKey: randomBytes(32) },
  });
  return { benchUrl, database, deps };
}
