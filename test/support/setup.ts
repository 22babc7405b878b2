/**
 * Runs before every test file (vitest `setupFiles`), including every file of a worker that runs several:
 * test/support/db.ts is imported once per worker, so hooks it registered at import would only attach to the
 * first file. Here they attach to each.
 */
import { afterEach, beforeAll } from "vitest";
import { endTestDatabaseLeases, TEST_DB, warmDatabase } from "./db";

if (TEST_DB !== (process.env.TEST_DB === "postgres" ? "postgres" : "pglite")) {
  throw new Error("a worker ran files of two database projects: test/support/db.ts chose its database once");
}

// The worker's first database is migrated under the hook timeout, not inside the first test's budget.
beforeAll(warmDatabase, 120_000);

// After the file's own afterEach hooks (they run in reverse order of registration, these first registered),
// so workers and child processes a test stopped there are gone before its databases are handed back.
afterEach(endTestDatabaseLeases);
