import type { Config } from "../config";
import type { Database } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { openDatabase } from "../db/open";
import { createPii, type Pii } from "../privacy/pii";
import { localPiiKeys } from "./keys";

/**
 * The station's database, migrated, with the PII keys the server uses: what the administrator's commands
 * (`npm run setup`, `npm run migrate`) work on. Migrating first lets setup run on an empty database.
 */
export async function openStationStore(config: Config): Promise<{ database: Database; pii: Pii }> {
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, max: 2 });
  try {
    await migrateDatabase(database, config.DATABASE_URL, config.MIGRATIONS_DIR);
  } catch (error) {
    await database.close();
    throw error;
  }
  const keys = localPiiKeys(config);
  return { database, pii: createPii(keys.encryptionKey, keys.hashKey) };
}
