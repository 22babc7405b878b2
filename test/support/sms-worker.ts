/**
 * A worker process for the multi-process limiter test (test/sms/limiter-processes.test.ts): the local
 * runtime's SMS workers, configured from the environment like `npm start`, and nothing else. Prints `ready`
 * once it is consuming; stops cleanly on SIGTERM.
 */
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/open";
import { buildLocalDeps } from "../../src/local/deps";
import { startWorkers } from "../../src/local/workers";
import { createLog } from "../../src/log";

const config = loadConfig();
if (!config.DATABASE_URL || !config.PII_ENCRYPTION_KEY || !config.PII_HASH_KEY) {
  throw new Error("sms-worker needs DATABASE_URL, PII_ENCRYPTION_KEY and PII_HASH_KEY");
}
const database = await openDatabase({ url: config.DATABASE_URL, max: 10 });
const deps = buildLocalDeps({
  config,
  database,
  log: createLog(config.LOG_LEVEL),
  keys: {
    encryptionKey: Buffer.from(config.PII_ENCRYPTION_KEY, "base64"),
    hashKey: Buffer.from(config.PII_HASH_KEY, "base64"),
  },
});
const workers = await startWorkers(deps, ["sms-urgent", "sms-bulk"]);
process.stdout.write("ready\n");

process.once("SIGTERM", () => {
  void workers
    .stop()
    .then(() => database.close())
    .finally(() => process.exit(0));
});
