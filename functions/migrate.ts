import { resolve } from "node:path";
import { loadCloudConfig } from "../src/config";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { createLog } from "../src/log";

/**
 * Applies the committed migrations; infra/database.ts invokes it on every deploy, before the functions
 * that need the new schema are updated. The bundle cannot find schema/migrations beside its sources, so
 * infra/ copies the folder into the package and MIGRATIONS_DIR names it (relative to /var/task, the cwd).
 */
const config = await loadCloudConfig();
const log = createLog(config.LOG_LEVEL);

export const handler = async (): Promise<{ migrated: true }> => {
  const url = config.DATABASE_URL as string;
  const database = await openDatabase({ url, max: 1 });
  try {
    await migrateDatabase(database, url, config.MIGRATIONS_DIR ? resolve(config.MIGRATIONS_DIR) : undefined);
    log.info("migrations applied");
    return { migrated: true };
  } finally {
    await database.close();
  }
};
