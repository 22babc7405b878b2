import { loadConfig } from "../config";
import { createLog } from "../log";
import { startLocalRuntime } from "./runtime";

/** `npm start`: the whole pipeline in one process. Ctrl-C drains in-flight work and exits cleanly. */
const config = loadConfig();
const log = createLog(config.LOG_LEVEL);
const runtime = await startLocalRuntime(config, log);

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
