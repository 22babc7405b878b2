import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUD_FUNCTIONS } from "../src/topology";
import { database } from "./database";
import { leanBundle } from "./functions";
import { vpc } from "./network";
import { RDS_CA_FILE } from "./rds-ca-bundle";
import { secrets } from "./secrets";
import { runtime } from "./settings";

const MIGRATIONS = "schema/migrations";

/**
 * Migrations run inside the VPC, where the database is, as a function the deploy invokes. A bundle
 * cannot find schema/migrations beside src/db/migrate.ts, so the folder is copied into the package and
 * MIGRATIONS_DIR points there (relative to /var/task, the function's working directory).
 */
export const migrator = new sst.aws.Function("Migrator", {
  handler: "functions/migrate.handler",
  runtime,
  architecture: "arm64",
  timeout: "5 minutes",
  concurrency: { reserved: CLOUD_FUNCTIONS.migrate.reservedConcurrency },
  vpc,
  link: [database, secrets.piiEncryptionKey, secrets.piiHashKey],
  nodejs: leanBundle.nodejs,
  copyFiles: [...leanBundle.copyFiles, { from: MIGRATIONS, to: "migrations" }],
  environment: {
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    MIGRATIONS_DIR: "migrations",
    DATABASE_CA_FILE: RDS_CA_FILE,
  },
});

/**
 * Invoked during the deploy (sst runs it from the app's root) whenever the migrations or the database change; a failed migration fails the
 * deploy. Functions that need the schema depend on this, so their new code goes live only after it.
 */
export const migration = new aws.lambda.Invocation("Migration", {
  functionName: migrator.name,
  input: JSON.stringify({}),
  triggers: { migrations: migrationsHash(), database: database.host },
});

function migrationsHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  // Relative paths, so the same migrations hash the same from any checkout.
  walk(MIGRATIONS);
  return hash.digest("hex");
}
