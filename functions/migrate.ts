import { resolve } from "node:path";
import { cloudDatabaseOptions } from "../src/cloud/database";
import { loadCloudConfig } from "../src/config";
import { migratePostgres } from "../src/db/migrate-postgres";
import { createLog } from "../src/log";

/**
 * Applies the committed migrations; infra/database.ts invokes it on every deploy, before the functions
 * that need the new schema are updated. The bundle cannot find schema/migrations beside its sources, so
 * infra/ copies the folder into the package and MIGRATIONS_DIR names it (relative to /var/task, the cwd).
 * It connects as the other functions do, verifying the server's certificate.
 */
const config = await loadCloudConfig();
const log = createLog(config.LOG_LEVEL);

export const handler = async (): Promise<{ migrated: true }> => {
  const folder = config.MIGRATIONS_DIR ? resolve(config.MIGRATIONS_DIR) : undefined;
  await migratePostgres(cloudDatabaseOptions(config), folder);
  log.info("migrations applied");
  return { migrated: true };
};
