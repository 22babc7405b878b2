import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { type PostgresOptions, postgresClient } from "./postgres";

/**
 * Beside the sources, or `migrations/` beside the bundle `npm run build` writes (dist/). The Lambdas' bundle
 * is elsewhere again, so it passes the copied folder (MIGRATIONS_DIR) instead.
 */
export function defaultMigrationsFolder(): string {
  const bundled = fileURLToPath(new URL("./migrations", import.meta.url));
  if (existsSync(bundled)) return bundled;
  return fileURLToPath(new URL("../../schema/migrations", import.meta.url));
}

/**
 * Applies committed migrations to PostgreSQL. Several processes may start at once (a deploy, the bench), so
 * migration runs under an advisory lock held on a client of its own with one connection, made with the same
 * options (TLS verification included) as the application's pool.
 */
export async function migratePostgres(
  options: Omit<PostgresOptions, "max">,
  migrationsFolder = defaultMigrationsFolder(),
): Promise<void> {
  const client = postgresClient({ ...options, max: 1 });
  try {
    const db = drizzle(client);
    await db.execute(sql`select pg_advisory_lock(727274)`);
    try {
      await migrate(db, { migrationsFolder });
    } finally {
      await db.execute(sql`select pg_advisory_unlock(727274)`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
