/**
 * The load generator as a child process (bench:intake forks it when BENCH_CLIENT=child): it receives one
 * LoadSpec over IPC, runs it, sends back the LoadResult and exits. Keeps the client's CPU off the server's
 * event loop, which matters most on PGlite, where the database runs on that loop too.
 */
import { type LoadSpec, runLoad } from "./load";

process.once("message", (spec: LoadSpec) => {
  runLoad(spec)
    .then((result) => process.send?.(result, () => process.exit(0)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
});
