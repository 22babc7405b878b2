import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import {
  ALL,
  BROWSER,
  CLOUD,
  POSTGRES_ONLY,
  PROCESSES,
  withBrowser,
  withPostgres,
} from "./test/support/groups";

/**
 * The suite as projects (TESTING.md explains them). Every database test runs on PGlite; with DATABASE_URL set,
 * the same files run again on PostgreSQL, so `npm test` proves both drivers. Browser and multi-process files
 * are projects of their own, so each can run alone (`npm run test:browser`, `npm run test:processes`);
 * PostgreSQL-only files (`*.pg.test.ts`) never run on PGlite, and a run without DATABASE_URL or Chromium says
 * at the end what it left out (test/support/not-run-reporter.ts).
 */
type Db = "pglite" | "postgres";

function project(
  name: string,
  db: Db,
  include: string[],
  exclude: string[],
  extra: TestProjectInlineConfiguration["test"] = {},
): TestProjectInlineConfiguration {
  return {
    test: {
      name,
      include,
      exclude: [...exclude, ...(db === "pglite" ? POSTGRES_ONLY : [])],
      env: { TEST_DB: db },
      setupFiles: ["test/support/setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...extra,
    },
  };
}

/**
 * The database projects keep one worker process across files (isolate: false): the worker's migrated
 * databases and the modules every file imports are made once per worker instead of once per file.
 * test/support/setup.ts registers the per-test hooks in each file.
 */
const reuseWorkers = { isolate: false };

export default defineConfig({
  test: {
    projects: [
      project("pglite", "pglite", ALL, [...BROWSER, ...PROCESSES, ...CLOUD], reuseWorkers),
      project("processes:pglite", "pglite", PROCESSES, []),
      ...(withBrowser ? [project("browser:pglite", "pglite", BROWSER, [])] : []),
      ...(withPostgres
        ? [
            project("postgres", "postgres", ALL, [...BROWSER, ...PROCESSES, ...CLOUD], reuseWorkers),
            project("cloud", "postgres", CLOUD, []),
            project("processes:postgres", "postgres", PROCESSES, []),
            ...(withBrowser ? [project("browser:postgres", "postgres", BROWSER, [])] : []),
          ]
        : []),
    ],
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/not-run-reporter.ts"],
    pool: "forks",
    // Two cores: two workers keep both busy on PGlite (in-process). With PostgreSQL part of the work is the
    // server's, so a third worker fills the time the others spend waiting on it.
    maxWorkers: withPostgres ? 3 : 2,
  },
});
