import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "../../schema";
import type { Database, Db } from "./client";
import { namingStatements } from "./named-statements";

export interface PostgresOptions {
  url: string;
  /** Pool size. */
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
}

/**
 * A postgres.js client for a DATABASE_URL, honouring libpq's way of naming a Unix socket: a `host` query
 * parameter that is a directory (`postgres://app@localhost/antifraud?host=/var/run/postgresql`). postgres.js
 * would send that parameter to the server as a setting and fail; it takes the socket as `path` instead.
 * (A trivial statement costs the client 34–37 µs of CPU over the socket against 45 µs over 127.0.0.1; in
 * bench:intake the difference is lost in run-to-run spread: BENCHMARKS.md, session 11.)
 */
export function connectPostgres(
  url: string,
  options: postgres.Options<Record<string, never>> = {},
): postgres.Sql {
  // Only a URL that names a socket is parsed here; any other (several hosts, say) goes to postgres.js as it is.
  const socketDir = new URLSearchParams(url.split("?")[1] ?? "").get("host");
  if (!socketDir?.startsWith("/")) return postgres(url, options);
  const parsed = new URL(url);
  parsed.searchParams.delete("host");
  const path = `${socketDir.replace(/\/+$/, "")}/.s.PGSQL.${parsed.port || "5432"}`;
  return postgres(parsed.toString(), { ...options, path });
}

/** postgres.js's options for a connection to `url`; the migrator's own single connection uses them too. */
export function postgresClient(options: PostgresOptions): postgres.Sql {
  const client = connectPostgres(options.url, {
    max: options.max ?? 10,
    prepare: options.prepare ?? true,
    ...(options.ca ? { ssl: { ca: options.ca, rejectUnauthorized: true } } : {}),
    onnotice: () => {},
    // Timestamps arrive as Date objects either way; bigint as number is declared per column.
  });
  return client;
}

/**
 * PostgreSQL through postgres.js. The cloud's functions import this module alone, never ./open.ts: the
 * embedded database (PGlite, half a megabyte) stays out of their bundles.
 */
export function openPostgres(options: PostgresOptions): Database {
  const client = postgresClient(options);
  const db = drizzle(namingStatements(client), { schema, casing: "snake_case" }) as unknown as Db;
  // After drizzle, which replaces the date serializers when it wraps the client.
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
