import type { Database } from "./client";
import { openPglite, type PgliteOptions } from "./pglite";
import { openPostgres, type PostgresOptions } from "./postgres";

export type DatabaseOptions = PgliteOptions & Partial<PostgresOptions>;

/** PostgreSQL when a URL is given, else the embedded PGlite: the local runtime's and the tests' choice. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres({ ...options, url: options.url }) : openPglite(options);
}
