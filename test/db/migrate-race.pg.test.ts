import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { emptyPostgresDatabase } from "../support/db";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const JOURNAL = JSON.parse(readFileSync(resolve(ROOT, "schema/migrations/meta/_journal.json"), "utf8")) as {
  entries: unknown[];
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
});

/** `npm run migrate` as a process: only what a shell passes, and the database to migrate. */
function migrate(databaseUrl: string) {
  return run(process.execPath, ["--import", "tsx", "scripts/migrate.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
  });
}

/**
 * Two servers (or a server and `npm run migrate`) starting at once on an empty database: both must succeed
 * and the schema be applied once, which the advisory lock in src/db/migrate.ts promises.
 */
describe("npm run migrate", () => {
  it("lets two processes migrate the same empty database at once; the schema is applied once", async () => {
    const database = await emptyPostgresDatabase("migrate_race");
    cleanups.push(database.drop);

    const results = await Promise.all([migrate(database.url), migrate(database.url)]);

    for (const { stdout } of results) expect(stdout).toContain("migrations applied");
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const [applied] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(applied?.n).toBe(JOURNAL.entries.length);
    const [column] =
      await sql`select 1 from information_schema.columns where table_name = 'stations' and column_name = 'sms_signature'`;
    expect(column).toBeDefined();
  });
});
