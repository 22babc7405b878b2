/**
 * `npm run restore -- <backup file> <database URL>`: brings a `npm run backup` dump back into a new, empty
 * database. Start the server on it with the same PII keys the backup was made with.
 */
import { KEYS_REMINDER, RestoreRefused, restoreDatabase } from "../src/local/backup";
import { describeDatabase } from "../src/local/startup-summary";

const [file, databaseUrl] = process.argv.slice(2);
if (!file || !databaseUrl) {
  process.stderr.write(
    "用法 usage: npm run restore -- <backup.dump> postgres://user@host:5432/new_database\n（目标须为新建的空数据库 the target must be a new, empty database）\n",
  );
  process.exit(2);
}
try {
  await restoreDatabase(file, databaseUrl);
} catch (error) {
  if (!(error instanceof RestoreRefused)) throw error;
  process.stderr.write(`目标数据库不是空的，未恢复。\n${error.message}\n`);
  process.exit(1);
}
process.stdout.write(
  `restored ${file} into ${describeDatabase({ DATABASE_URL: databaseUrl, DATA_DIR: "" })}\n${KEYS_REMINDER[1]}\n`,
);
