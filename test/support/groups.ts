import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The suite's groups of files, shared by vitest.config.ts (which turns them into projects) and
 * test/support/not-run-reporter.ts (which says which of them a run left out). TESTING.md explains them.
 */
export const ALL = ["test/**/*.test.ts"];
/** The console in Debian's Chromium, against the whole local runtime. */
export const BROWSER = ["test/**/*.e2e.test.ts"];
/** Tests that spawn the runtime or the SMS workers as processes of their own. */
export const PROCESSES = [
  "test/alerts/durability.test.ts",
  "test/sms/limiter-processes.test.ts",
  "test/db/migrate-race.pg.test.ts",
  "test/local/go-live.pg.test.ts",
  "test/local/setup-cli.test.ts",
];
/**
 * The cloud path for real (`npm run test:cloud`): the functions' bundles as Lambda instances against
 * PostgreSQL, an SQS server and SNS at the HTTP layer. The cloud runs on PostgreSQL only.
 */
export const CLOUD = ["test/**/*.cloud.test.ts"];
/**
 * Files that need PostgreSQL: races between connections (PGlite has one connection, on which transactions
 * take turns, so a race test there could not fail) and processes sharing one database server.
 */
export const POSTGRES_ONLY = ["test/**/*.pg.test.ts", "test/sms/limiter-processes.test.ts"];
const isPostgresOnly = (file: string) =>
  file.endsWith(".pg.test.ts") || file.endsWith(".cloud.test.ts") || POSTGRES_ONLY.includes(file);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const withPostgres = Boolean(process.env.DATABASE_URL);
export const withBrowser = existsSync(CHROMIUM);

export interface LeftOut {
  projects: string[];
  why: string;
  files: string[];
  how: string;
}

function testFiles(root: string, dir = "test"): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(root, path));
    else if (entry.name.endsWith(".test.ts")) out.push(path.split("\\").join("/"));
  }
  return out.sort();
}

/** The groups this configuration does not run, with the files that only they would have run. */
export function leftOut(root: string): LeftOut[] {
  const files = testFiles(root);
  const out: LeftOut[] = [];
  if (!withPostgres) {
    out.push({
      projects: ["postgres", "processes:postgres", "cloud", ...(withBrowser ? ["browser:postgres"] : [])],
      why: "DATABASE_URL is not set: no test ran on PostgreSQL",
      files: files.filter(isPostgresOnly),
      how: "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test",
    });
  }
  if (!withBrowser) {
    out.push({
      projects: ["browser:pglite", ...(withPostgres ? ["browser:postgres"] : [])],
      why: `no Chromium at ${CHROMIUM}`,
      files: files.filter((f) => f.endsWith(".e2e.test.ts")),
      how: "apt-get install chromium (or set CHROMIUM_PATH), then npm run test:browser",
    });
  }
  return out;
}
