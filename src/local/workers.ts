import { messageHandler } from "../consumers";
import type { Deps } from "../deps";
import type { PgTableQueue } from "../queue/pg-queue";
import { QueueWorker } from "../queue/worker";
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

export async function startWorkers(deps: Deps & { queue: PgTableQueue }, queues: QueueName[]) {
  const handle = messageHandler(deps);
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
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
    },
  };
}
