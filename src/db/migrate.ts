import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { Database } from "./client";
import { defaultMigrationsFolder, migratePostgres } from "./migrate-postgres";

/** Applies committed migrations to whichever database the local runtime opened (the cloud: ./migrate-postgres.ts). */
export async function migrateDatabase(
  database: Database,
  url?: string,
  migrationsFolder = defaultMigrationsFolder(),
): Promise<void> {
  if (database.kind === "pglite") {
    await migratePglite(database.db as never, { migrationsFolder });
    return;
  }
  if (!url) throw new Error("migrating PostgreSQL needs its URL");
  await migratePostgres({ url }, migrationsFolder);
}
