import { messageHandler } from "../consumers";
import type { Deps } from "../deps";
import type { PgTableQueue } from "../queue/pg-queue";
import { QueueWorker } from "../queue/worker";
import { WorkerRegistry } from "../queue/worker-registry";
import { QUEUE_NAMES, QUEUES, type QueueName } from "../topology";

/** Which queues this process works, from WORKERS (`all`, `none`, or a list). */
export function selectedQueues(setting: string): QueueName[] {
  if (setting === "all") return QUEUE_NAMES;
  if (setting === "none") return [];
  const wanted = setting.split(",").map((s) => s.trim());
  const unknown = wanted.filter((q) => !QUEUE_NAMES.includes(q as QueueName));
  if (unknown.length > 0) throw new Error(`WORKERS names unknown queues: ${unknown.join(", ")}`);
  return wanted as QueueName[];
}

/**
 * Starts a worker per queue. A process that works any queue first registers itself (with a heartbeat) and
 * takes over what crashed processes held, so their claimed jobs and SMS do not wait out their timeouts.
 */
export async function startWorkers(deps: Deps & { queue: PgTableQueue }, queues: QueueName[]) {
  const handle = messageHandler(deps);
  const registry =
    queues.length === 0
      ? undefined
      : new WorkerRegistry(deps.database, deps.queue, deps.log, {
          heartbeatSeconds: deps.config.WORKER_HEARTBEAT_SECONDS,
          staleAfterSeconds: deps.config.WORKER_STALE_AFTER_SECONDS,
        });
  await registry?.start();
  const workers = queues.map(
    (queue) =>
      new QueueWorker(deps.queue, handle, deps.log, {
        queue,
        spec: QUEUES[queue],
        visibilitySeconds: deps.config.QUEUE_VISIBILITY_SECONDS,
      }),
  );
  await Promise.all(workers.map((w) => w.start()));
  return {
    registry,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await registry?.stop();
    },
  };
}
