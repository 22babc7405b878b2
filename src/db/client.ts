import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations, SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "../../schema";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a query can run on: the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Subscribe to NOTIFY on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory; when absent (and no url), an in-memory database. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  max?: number;
  /**
   * Verify the server's certificate against these CAs (PEM), whatever the URL's sslmode says: postgres.js's
   * `sslmode=require` encrypts without checking who answers.
   */
  ca?: string[];
  /**
   * Named prepared statements (postgres.js's default). Off behind a pooler such as RDS Proxy, where a named
   * statement pins the client to one server connection and defeats the pooling.
   */
  prepare?: boolean;
  /** An existing PGlite instance (tests clone a migrated one). */
  pglite?: PGlite;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.max ?? 10,
      prepare: options.prepare ?? true,
      ...(options.ca ? { ssl: { ca: options.ca, rejectUnauthorized: true } } : {}),
      onnotice: () => {},
      // Timestamps arrive as Date objects either way; bigint as number is declared per column.
    });
    const db = drizzlePostgres(client, { schema, casing: "snake_case" }) as unknown as Db;
    sendDatesAsText(client);
    return {
      db,
      kind: "postgres",
      async listen(channel, onNotify) {
        const sub = await client.listen(channel, onNotify);
        return () => sub.unlisten();
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  let pg = options.pglite;
  if (!pg) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    pg = options.dataDir ? await PGlite.create(join(options.dataDir, "pglite")) : await PGlite.create();
  }
  const lite = pg;
  const db = drizzlePglite(lite, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    async listen(channel, onNotify) {
      const unlisten = await lite.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => lite.close(),
  };
}

/**
 * drizzle makes postgres.js pass timestamp parameters through untouched, because its own columns hand it
 * strings already. A `Date` in a raw `sql` template (postgres.js infers timestamptz for it) then
 * reaches the wire as an object and the query fails, on PostgreSQL only: PGlite serialises it. Turning a
 * Date into ISO-8601 text here keeps the two drivers alike for every raw query, not only the ones we found.
 */
function sendDatesAsText(client: postgres.Sql): void {
  const serializers = client.options.serializers as Record<number, (value: unknown) => unknown>;
  for (const oid of [1082, 1083, 1114, 1184, 1266]) {
    const next = serializers[oid];
    serializers[oid] = (value) => (value instanceof Date ? value.toISOString() : next ? next(value) : value);
  }
}

/** Rows of a raw query, whichever driver ran it (postgres.js returns an array, PGlite an object). */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
