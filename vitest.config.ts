import { defineConfig } from "vitest/config";

/**
 * Every database test runs on PGlite; with DATABASE_URL set, the same files run again on PostgreSQL
 * as a second project, so `npm test` proves both drivers.
 */
const shared = {
  include: ["test/**/*.test.ts"],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: "pglite", env: { TEST_DB: "pglite" } } },
      ...(process.env.DATABASE_URL
        ? [{ test: { ...shared, name: "postgres", env: { TEST_DB: "postgres" } } }]
        : []),
    ],
  },
});
