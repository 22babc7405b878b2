import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { Database } from "./client";

/**
 * Beside the sources, or `migrations/` beside the bundle `npm run build` writes (dist/). The Lambdas' bundle
 * is elsewhere again, so it passes the copied folder (MIGRATIONS_DIR) instead.
 */
function defaultMigrationsFolder(): string {
  const bundled = fileURLToPath(new URL("./migrations", import.meta.url));
  if (existsSync(bundled)) return bundled;
  return fileURLToPath(new URL("../../schema/migrations", import.meta.url));
}

/**
 * Applies committed migrations. On PostgreSQL several processes may start at once (a deploy, the bench),
 * so migration runs under an advisory lock held on a single-connection client.
 */
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
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(client);
    await db.execute(sql`select pg_advisory_lock(727274)`);
    try {
      await migratePostgres(db, { migrationsFolder });
    } finally {
      await db.execute(sql`select pg_advisory_unlock(727274)`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
