import type { Deps } from "../deps";
import { type MessageHandler, runBatch } from "../queue/batch";
import type { PgTableQueue } from "../queue/pg-queue";
import { QUEUES, type QueueName } from "../topology";

/**
 * Handles the prompt messages (PROMPT_MESSAGES in src/topology.ts) a transaction published, in this process,
 * right after it commits: their jobs are claimed and settled as a worker would, so nobody handles them a
 * second time. A job a worker already took, or one delayed on purpose, is left to the queue. A failure is
 * logged, not thrown (the publishing transaction has committed): the job is retried like any other.
 */
export function handlePromptly(deps: Deps & { queue: PgTableQueue }, handle: MessageHandler): void {
  deps.queue.afterCommit = async (items) => {
    for (const queue of new Set<QueueName>(items.map((item) => item.queue))) {
      try {
        const records = await deps.queue.claimPublished(
          items.filter((item) => item.queue === queue),
          deps.config.QUEUE_VISIBILITY_SECONDS,
        );
        if (records.length === 0) continue;
        const result = await runBatch(records, handle, deps.log);
        await deps.queue.settle(records, result, QUEUES[queue].maxReceives);
      } catch (error) {
        deps.log.warn({ err: error, queue }, "prompt handling failed; the queue's worker will handle it");
      }
    }
  };
}
