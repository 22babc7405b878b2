import { existsSync } from "node:fs";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { connectPostgres, openPostgres } from "../../src/db/postgres";

/**
 * DATABASE_URL may name a Unix socket the way libpq does (`?host=<directory>`): the socket file in that
 * directory is used, and the parameter is not sent to the server as a setting (which PostgreSQL refuses).
 */
const SOCKET_DIR = "/var/run/postgresql";

describe("DATABASE_URL with a Unix socket directory", () => {
  it("connects through the socket in that directory, on the URL's port", () => {
    const client = connectPostgres("postgres://app@localhost:5433/antifraud?host=/srv/pg/&sslmode=disable");
    expect(client.options.path).toBe("/srv/pg/.s.PGSQL.5433");
    expect(client.options.database).toBe("antifraud");
    expect(connectPostgres("postgres://app@db.example.cn/antifraud").options.path).toBeFalsy();
    // Several hosts (postgres.js's failover) are not a URL `new URL` accepts: passed on untouched.
    expect(connectPostgres("postgres://app@db1:5432,db2:5432/antifraud").options.host).toEqual([
      "db1",
      "db2",
    ]);
  });

  it.skipIf(!existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`))(
    "runs the application's statements over the socket of the server the tests use",
    async () => {
      const url = new URL(process.env.DATABASE_URL as string);
      url.searchParams.set("host", SOCKET_DIR);
      const database = openPostgres({ url: url.toString(), max: 1 });
      try {
        // inet_server_addr() is null on a Unix-socket connection.
        const rows = await queryRows<{ socket: boolean }>(
          database.db,
          sql`select inet_server_addr() is null as socket`,
        );
        expect(rows[0]?.socket).toBe(true);
      } finally {
        await database.close();
      }
    },
  );
});
