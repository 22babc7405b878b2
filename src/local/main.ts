import { ConfigError, loadConfig } from "../config";
import { createLog } from "../log";
import { startLocalRuntime } from "./runtime";

/** `npm start`: the whole pipeline in one process. Ctrl-C drains in-flight work and exits cleanly. */
const runtime = await start();

/** A setting that stops start-up is the administrator's to fix: say which, without a stack trace. */
async function start() {
  try {
    const config = loadConfig();
    const log = createLog(config.LOG_LEVEL);
    return { log, ...(await startLocalRuntime(config, log)) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
const { log } = runtime;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "stopping: draining in-flight work");
    runtime
      .stop()
      .then(() => {
        log.info("stopped");
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "unclean stop");
        process.exit(1);
      });
  });
}
