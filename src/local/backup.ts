import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Backups are PostgreSQL's own tools (pg_dump's custom format, pg_restore), not a copy of our own: they are
 * what an administrator can also use by hand, and what a restore in an emergency should rely on. Personal
 * fields in the dump are encrypted with the PII keys, which are not in the database: a backup without the
 * keys kept beside it (separately, as safely) cannot be read back.
 */
export const KEYS_REMINDER = [
  "备份中的手机号等个人信息已用 PII_ENCRYPTION_KEY 加密；请将 PII_ENCRYPTION_KEY 和 PII_HASH_KEY 另行妥善保存，丢失密钥则备份无法读取。",
  "Personal fields in the backup are encrypted with PII_ENCRYPTION_KEY: keep PII_ENCRYPTION_KEY and PII_HASH_KEY safe and separate from it; without them the backup cannot be read.",
];

/** `antifraud-20261203-141500.dump`, UTC: sorts by date, one per second at most. */
export function backupFileName(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  return `antifraud-${stamp}.dump`;
}

/**
 * postgres.js reads the URL; pg_dump and pg_restore take it too, but a password on their command line is
 * visible to every user of the machine (ps). It travels in PGPASSWORD instead.
 */
function connection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = "";
  return { url: url.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

export async function backupDatabase(databaseUrl: string, directory: string, now: Date): Promise<string> {
  mkdirSync(directory, { recursive: true });
  const file = resolve(join(directory, backupFileName(now)));
  const { url, env } = connection(databaseUrl);
  await run(
    "pg_dump",
    ["--format=custom", "--no-owner", "--no-privileges", `--file=${file}`, `--dbname=${url}`],
    {
      env,
    },
  );
  return file;
}

export class RestoreRefused extends Error {}

/**
 * Restores a dump into a database that must be empty: restoring over a live station would mix two states.
 * One transaction, stopping at the first error, so a failed restore leaves the database as empty as it was.
 */
export async function restoreDatabase(file: string, databaseUrl: string): Promise<void> {
  const { url, env } = connection(databaseUrl);
  const { stdout } = await run(
    "psql",
    [
      "--no-psqlrc",
      "--tuples-only",
      "--no-align",
      `--dbname=${url}`,
      "--command",
      "select to_regclass('public.stations') is not null",
    ],
    { env },
  );
  if (stdout.trim() === "t") {
    throw new RestoreRefused(
      "the target database already has the schema; restore into a new, empty database (createdb), then point DATABASE_URL at it",
    );
  }
  await run(
    "pg_restore",
    ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", `--dbname=${url}`, file],
    { env },
  );
}
