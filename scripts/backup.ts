/**
 * `npm run backup [-- <directory>]`: a dated pg_dump (custom format) of DATABASE_URL, default directory
 * ./backups. Prints the file and the reminder that the PII keys are not in it.
 */
import { ConfigError, loadConfig } from "../src/config";
import { backupDatabase, KEYS_REMINDER } from "../src/local/backup";
import { describeDatabase } from "../src/local/startup-summary";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
if (!config.DATABASE_URL) {
  process.stderr.write(
    "备份需要 PostgreSQL（DATABASE_URL）；内置数据库请在服务停止时复制 DATA_DIR。\nBackups need PostgreSQL (DATABASE_URL); for the embedded database, copy DATA_DIR while the server is stopped.\n",
  );
  process.exit(1);
}
const directory = process.argv[2] ?? "backups";
const file = await backupDatabase(config.DATABASE_URL, directory, new Date());
process.stdout.write(
  `backup of ${describeDatabase(config)} written to ${file}\n${KEYS_REMINDER.join("\n")}\n`,
);
