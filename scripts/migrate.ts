/**
 * Applies the migrations to the configured database and exits (`npm run migrate`, like `goalert migrate`).
 * The server applies them at start as well, under the same PostgreSQL advisory lock (src/db/migrate.ts), so
 * this is for upgrading the schema before the new version starts, or checking that it can be.
 */
import { ConfigError, loadConfig } from "../src/config";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { describeDatabase } from "../src/local/startup-summary";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, max: 1 });
try {
  await migrateDatabase(database, config.DATABASE_URL, config.MIGRATIONS_DIR);
  process.stdout.write(`migrations applied: ${describeDatabase(config)}\n`);
} finally {
  await database.close();
}
