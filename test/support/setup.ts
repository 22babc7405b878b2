/**
 * Runs before every test file (vitest `setupFiles`), including every file of a worker that runs several:
 * test/support/db.ts is imported once per worker, so hooks it registered at import would only attach to the
 * first file. Here they attach to each.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { endTestDatabaseLeases, TEST_DB, warmDatabase } from "./db";

if (TEST_DB !== (process.env.TEST_DB === "postgres" ? "postgres" : "pglite")) {
  throw new Error("a worker ran files of two database projects: test/support/db.ts chose its database once");
}

// The worker's first database is migrated under the hook timeout, not inside the first test's budget.
beforeAll(warmDatabase, 120_000);

// After the file's own afterEach hooks (they run in reverse order of registration, these first registered),
// so workers and child processes a test stopped there are gone before its databases are handed back.
afterEach(endTestDatabaseLeases);

/**
 * @hono/node-server's serve() replaces the global Request and Response with its own classes (a server's
 * speed-up). In a worker that runs many files, a file that starts a server (the local runtime, the dev outbox's
 * real-connection test) would hand them to every later file, where msw's `HttpResponse.error()` then arrives
 * as a response of status 0 instead of a network error. Every file starts and ends with the platform's own.
 */
const PLATFORM_FETCH_CLASSES = Symbol.for("antifraud-alerts.test.platform-fetch-classes");
type FetchClasses = { Request: typeof Request; Response: typeof Response };
const worker = globalThis as Record<symbol, FetchClasses | undefined>;
// Kept on globalThis: this file runs again for each file, and only its first run sees the platform's classes.
worker[PLATFORM_FETCH_CLASSES] ??= { Request: globalThis.Request, Response: globalThis.Response };
const platform = worker[PLATFORM_FETCH_CLASSES];
const restorePlatformFetchClasses = () => {
  Object.defineProperty(globalThis, "Request", { value: platform.Request });
  Object.defineProperty(globalThis, "Response", { value: platform.Response });
};
beforeAll(restorePlatformFetchClasses);
afterAll(restorePlatformFetchClasses);
